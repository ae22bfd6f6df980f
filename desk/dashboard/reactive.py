"""Typed doors into Panel's reactive helpers (Panel's own annotations confuse mypy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import panel as pn


def bind(function: Callable[..., Any], *refs: Any) -> Any:
    """``pn.bind``: ``function`` re-runs whenever one of ``refs`` (parameters) changes."""
    return cast(Any, pn.bind)(function, *refs)
