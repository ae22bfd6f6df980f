"""Exceptions raised by the Desk client: one per status family, all ``DeskApiError``."""

from __future__ import annotations

from typing import Any

import httpx


class DeskApiError(Exception):
    """The service refused or failed a request. ``fields`` names the inputs that were wrong."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class DeskClientError(DeskApiError):
    """A 4xx: the request was wrong; retrying it unchanged will not help."""


class DeskAuthError(DeskClientError):
    """401: no token, or an invalid, expired or revoked one."""


class DeskPermissionError(DeskClientError):
    """403: the token's user may not do this."""


class DeskNotFoundError(DeskClientError):
    """404."""


class DeskConflictError(DeskClientError):
    """409: the object's state does not allow it (or it already exists)."""


class DeskValidationError(DeskClientError):
    """422: ``fields`` says which inputs are wrong and why."""


class DeskServerError(DeskApiError):
    """A 5xx: the service failed; safe requests are retried before this is raised."""


class DeskConnectionError(DeskApiError):
    """The service could not be reached (status 0)."""


_BY_STATUS: dict[int, type[DeskClientError]] = {
    401: DeskAuthError,
    403: DeskPermissionError,
    404: DeskNotFoundError,
    409: DeskConflictError,
    422: DeskValidationError,
}


def error_from_response(response: httpx.Response) -> DeskApiError:
    """Map an error response (the service's JSON error shape, or anything else) to an error."""
    code, message, fields = _parse_error(response)
    status = response.status_code
    if status >= 500:
        return DeskServerError(status, code, message, fields)
    return _BY_STATUS.get(status, DeskClientError)(status, code, message, fields)


def _parse_error(response: httpx.Response) -> tuple[str, str, dict[str, str]]:
    fallback: tuple[str, str, dict[str, str]] = (
        "http_error",
        response.reason_phrase or f"HTTP {response.status_code}",
        {},
    )
    try:
        body: Any = response.json()
    except ValueError:
        return fallback
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return fallback
    fields = error.get("fields") or {}
    return (
        str(error.get("code", "http_error")),
        str(error.get("message", fallback[1])),
        {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {},
    )


def connection_error(exc: httpx.TransportError, url: str) -> DeskConnectionError:
    return DeskConnectionError(0, "connection_error", f"cannot reach {url}: {exc}")
