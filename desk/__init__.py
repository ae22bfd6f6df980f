"""Desk: an agentic research desk for Zerodha (Kite Connect) with a promotion service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desk.client import Desk


def connect(url: str | None = None, token: str | None = None, **options: Any) -> Desk:
    """A client of the running service from ``DESK_URL`` and ``DESK_TOKEN`` (or the arguments).

    Imported lazily so that ``import desk`` (and ``desk --help``) stays fast.
    """
    from desk.client import connect as _connect

    return _connect(url, token, **options)
