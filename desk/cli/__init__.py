"""The ``desk`` command. Heavy libraries are imported inside commands so --help stays fast."""

from __future__ import annotations

from desk.cli.main import main

__all__ = ["main"]
