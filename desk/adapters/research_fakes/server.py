"""The research fakes run with the shared local server runner."""

from __future__ import annotations

from desk.adapters.local_server import serve_in_thread

__all__ = ["serve_in_thread"]
