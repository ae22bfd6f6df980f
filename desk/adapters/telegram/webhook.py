"""Pure checks for ``POST /api/v1/telegram/webhook/{secret}/``, before anything is parsed.

The HTTP layer calls :meth:`WebhookGate.check` with the path secret, the
``X-Telegram-Bot-Api-Secret-Token`` header and the raw body, and maps the verdict:
``not_found`` → 404 (audit it), ``forbidden`` → 403 (audit it), ``ignore`` → 200 with nothing
to do (malformed bodies are acknowledged so Telegram stops retrying them), ``accept`` → 200
and hand ``update`` to the bot (after answering, where possible).
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from desk.domain.errors import ConfigurationError

SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_BODY_BYTES = 1_000_000
HEADER_NAME = "X-Telegram-Bot-Api-Secret-Token"


class WebhookAction(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    IGNORE = "ignore"
    ACCEPT = "accept"


_STATUS = {
    WebhookAction.NOT_FOUND: 404,
    WebhookAction.FORBIDDEN: 403,
    WebhookAction.IGNORE: 200,
    WebhookAction.ACCEPT: 200,
}


@dataclass(frozen=True, slots=True)
class WebhookVerdict:
    action: WebhookAction
    reason: str
    update: dict[str, Any] | None = None

    @property
    def http_status(self) -> int:
        return _STATUS[self.action]

    @property
    def update_id(self) -> int | None:
        return None if self.update is None else int(self.update["update_id"])


def validate_secret_token(value: str, name: str = "TELEGRAM_WEBHOOK_SECRET") -> str:
    """Telegram accepts 1-256 characters from ``A-Z a-z 0-9 _ -``; we want at least 16."""
    if not SECRET_TOKEN_RE.match(value) or len(value) < 16:
        raise ConfigurationError(
            f"{name} must be 16-256 characters of A-Z, a-z, 0-9, '_' or '-'.",
            fields={name: "invalid secret token"},
        )
    return value


def _same(expected: str, given: str | None) -> bool:
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class WebhookGate:
    """Holds the expected secrets; ``header_secret`` defaults to the path secret."""

    def __init__(self, path_secret: str, header_secret: str | None = None) -> None:
        self._path = validate_secret_token(path_secret)
        self._header = validate_secret_token(
            header_secret if header_secret is not None else path_secret, "secret_token"
        )

    def check(self, path_secret: str, header: str | None, body: bytes) -> WebhookVerdict:
        if not _same(self._path, path_secret):
            return WebhookVerdict(WebhookAction.NOT_FOUND, "wrong path secret")
        if header is None:
            return WebhookVerdict(WebhookAction.FORBIDDEN, "missing secret token header")
        if not _same(self._header, header):
            return WebhookVerdict(WebhookAction.FORBIDDEN, "wrong secret token header")
        return parse_update(body)


def parse_update(body: bytes) -> WebhookVerdict:
    """An authenticated body → ``accept`` with the update dict, or ``ignore`` with a reason."""
    if len(body) > MAX_BODY_BYTES:
        return WebhookVerdict(WebhookAction.IGNORE, "body too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return WebhookVerdict(WebhookAction.IGNORE, "body is not JSON")
    if not isinstance(data, dict):
        return WebhookVerdict(WebhookAction.IGNORE, "body is not a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return WebhookVerdict(WebhookAction.IGNORE, "no valid update_id")
    return WebhookVerdict(WebhookAction.ACCEPT, "ok", update=data)
