"""The typed HTTP client of the promotion service, for notebooks, flows, the dashboard and CLI.

    import desk
    client = desk.connect()            # DESK_URL and DESK_TOKEN from the environment / .env
    client.me().username
    client.list_users().frame()        # a polars DataFrame

Errors raise :class:`DeskApiError` subclasses carrying ``status``, ``code``, ``message`` and
``fields``. Safe requests (GET) are retried on connection failures and 5xx answers.
"""

from __future__ import annotations

from desk.client.aio import AsyncDesk
from desk.client.errors import (
    DeskApiError,
    DeskAuthError,
    DeskClientError,
    DeskConflictError,
    DeskConnectionError,
    DeskNotFoundError,
    DeskPermissionError,
    DeskServerError,
    DeskValidationError,
)
from desk.client.listing import EventPage, Listing
from desk.client.sse import ServerEvent
from desk.client.sync import Desk

__all__ = [
    "AsyncDesk",
    "Desk",
    "DeskApiError",
    "DeskAuthError",
    "DeskClientError",
    "DeskConflictError",
    "DeskConnectionError",
    "DeskNotFoundError",
    "DeskPermissionError",
    "DeskServerError",
    "DeskValidationError",
    "EventPage",
    "Listing",
    "ServerEvent",
    "connect",
    "connect_async",
]


def _resolve(url: str | None, token: str | None) -> tuple[str, str]:
    if url is None or token is None:
        from desk.settings import load_settings

        settings = load_settings()
        url = url or settings.url
        if token is None and settings.token is not None:
            token = settings.token.get_secret_value()
    if not token:
        from desk.domain.errors import ConfigurationError

        raise ConfigurationError(
            "no API token: set DESK_TOKEN (create one with `desk users token <name>`) "
            "or pass token=...",
            fields={"DESK_TOKEN": "missing"},
        )
    return url, token


def connect(url: str | None = None, token: str | None = None, **options: object) -> Desk:
    """A :class:`Desk` for ``url``/``token``, defaulting to settings ``DESK_URL``/``DESK_TOKEN``."""
    base, secret = _resolve(url, token)
    return Desk(base, secret, **options)  # type: ignore[arg-type]


def connect_async(url: str | None = None, token: str | None = None, **options: object) -> AsyncDesk:
    """Like :func:`connect`, for asyncio code."""
    base, secret = _resolve(url, token)
    return AsyncDesk(base, secret, **options)  # type: ignore[arg-type]
