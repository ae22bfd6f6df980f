"""The one error family of Desk.

Every entrypoint maps :class:`DeskError` once: the HTTP API turns it into a 4xx JSON body,
the CLI into a one-line message with a non-zero exit code, the bot into a reply.
Messages are written for the person who made the mistake and never carry secrets.
"""

from __future__ import annotations

from collections.abc import Mapping


class DeskError(Exception):
    """Base of every expected failure. ``code`` is stable; ``fields`` names bad inputs."""

    code = "desk_error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})

    def __str__(self) -> str:
        return self.message


class ValidationError(DeskError):
    """Input was malformed or violated a rule; ``fields`` says which and why."""

    code = "validation_error"
    http_status = 422
    exit_code = 2


class ConfigurationError(DeskError):
    """Settings or key material are invalid."""

    code = "configuration_error"
    http_status = 500
    exit_code = 78  # EX_CONFIG


class NotFoundError(DeskError):
    code = "not_found"
    http_status = 404
    exit_code = 3


class AlreadyExistsError(DeskError):
    code = "already_exists"
    http_status = 409
    exit_code = 4


class AuthenticationError(DeskError):
    code = "authentication_failed"
    http_status = 401
    exit_code = 5


class PermissionDeniedError(DeskError):
    code = "permission_denied"
    http_status = 403
    exit_code = 6


class ConflictError(DeskError):
    """The subject is in a state that does not allow the operation."""

    code = "conflict"
    http_status = 409
    exit_code = 7


class ConcurrencyError(ConflictError):
    """A conditional update lost a race; the unit of work may be retried."""

    code = "concurrent_update"


class StoreError(DeskError):
    """The store cannot be opened or is not in the expected shape."""

    code = "store_error"
    http_status = 503
    exit_code = 69  # EX_UNAVAILABLE


class VaultError(DeskError):
    """A secret cannot be decrypted with the configured keys."""

    code = "vault_error"
    http_status = 500
    exit_code = 78


class AuditChainError(DeskError):
    """The audit chain failed verification."""

    code = "audit_chain_broken"
    http_status = 409
    exit_code = 10
