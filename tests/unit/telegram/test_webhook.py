from __future__ import annotations

import json

import pytest

from desk.adapters.telegram.webhook import WebhookAction, WebhookGate, validate_secret_token
from desk.domain.errors import ConfigurationError

SECRET = "path-secret_0123456789"
GATE = WebhookGate(SECRET)
BODY = json.dumps({"update_id": 5, "message": {"text": "/help"}}).encode()


def test_accepts_the_right_secrets() -> None:
    verdict = GATE.check(SECRET, SECRET, BODY)
    assert verdict.action is WebhookAction.ACCEPT and verdict.http_status == 200
    assert verdict.update_id == 5 and verdict.update == json.loads(BODY)


@pytest.mark.parametrize(
    ("path", "header", "status", "reason"),
    [
        ("wrong", SECRET, 404, "wrong path secret"),
        (SECRET[:-1], SECRET, 404, "wrong path secret"),
        (SECRET, None, 403, "missing secret token header"),
        (SECRET, "", 403, "wrong secret token header"),
        (SECRET, SECRET + "x", 403, "wrong secret token header"),
        (SECRET, "pâth", 403, "wrong secret token header"),
    ],
)
def test_rejects_before_parsing(path: str, header: str | None, status: int, reason: str) -> None:
    verdict = GATE.check(path, header, b"not even json")
    assert (verdict.http_status, verdict.reason, verdict.update) == (status, reason, None)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "body is not JSON"),
        (b"\xff", "body is not JSON"),
        (b"[]", "body is not a JSON object"),
        (b"{}", "no valid update_id"),
        (b'{"update_id": "1"}', "no valid update_id"),
        (b'{"update_id": true}', "no valid update_id"),
        (b" " * 1_000_001, "body too large"),
    ],
)
def test_malformed_bodies_are_acknowledged_and_ignored(body: bytes, reason: str) -> None:
    verdict = GATE.check(SECRET, SECRET, body)
    assert (verdict.action, verdict.http_status, verdict.reason) == (
        WebhookAction.IGNORE,
        200,
        reason,
    )


def test_separate_header_secret() -> None:
    gate = WebhookGate(SECRET, header_secret="header-secret-abcdefgh")
    assert gate.check(SECRET, "header-secret-abcdefgh", BODY).action is WebhookAction.ACCEPT
    assert gate.check(SECRET, SECRET, BODY).action is WebhookAction.FORBIDDEN


@pytest.mark.parametrize("bad", ["short", "has space in it 123", "x" * 257, "ünïcode-secret-value"])
def test_secret_format(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        validate_secret_token(bad)
