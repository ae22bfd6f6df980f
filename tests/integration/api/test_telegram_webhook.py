"""The Telegram webhook: path secret (404) and header secret (403), checked and audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from desk.bootstrap import bootstrap
from desk.domain.clock import FixedClock
from tests.conftest import make_settings
from tests.integration.api.conftest import WEBHOOK_SECRET, Api, assert_error, build_api

HEADER = "X-Telegram-Bot-Api-Secret-Token"
UPDATE = {"update_id": 1, "message": {"message_id": 1, "text": "/pending"}}


def hook(secret: str = WEBHOOK_SECRET) -> str:
    return f"/api/v1/telegram/webhook/{secret}/"


def rejections(api: Api) -> list[str]:
    with api.rt.uow(write=False) as uow:
        events = uow.audit.list(limit=100, action="telegram.webhook_rejected")
    return [e.payload["reason"] for e in reversed(events)]


def test_valid_call_is_accepted_without_a_bearer_token(api: Api) -> None:
    response = api.post("anonymous", hook(), json=UPDATE, headers={HEADER: WEBHOOK_SECRET})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert rejections(api) == []


def test_wrong_path_secret_is_an_ordinary_404(api: Api) -> None:
    wrong = api.post("anonymous", hook("guess"), json=UPDATE, headers={HEADER: WEBHOOK_SECRET})
    unknown = api.post("anonymous", "/api/v1/telegram/nothing/", json=UPDATE)
    assert_error(wrong, 404, "not_found")
    assert wrong.json() == unknown.json()
    prefix = api.post("anonymous", hook(WEBHOOK_SECRET[:-1]), json=UPDATE)
    assert_error(prefix, 404)
    assert rejections(api) == ["wrong_path_secret", "wrong_path_secret"]


def test_missing_or_wrong_header_is_403(api: Api) -> None:
    assert_error(api.post("anonymous", hook(), json=UPDATE), 403, "permission_denied")
    wrong = api.post("anonymous", hook(), json=UPDATE, headers={HEADER: WEBHOOK_SECRET + "x"})
    assert_error(wrong, 403)
    assert rejections(api) == ["missing_header", "wrong_header"]
    with api.rt.uow(write=False) as uow:
        event = uow.audit.list(limit=1, action="telegram.webhook_rejected")[0]
    assert event.actor_label == "telegram-webhook" and event.channel == "system"
    assert WEBHOOK_SECRET not in str(event.payload)


def test_a_flood_of_refusals_is_sampled_into_the_audit_chain(api: Api, clock: FixedClock) -> None:
    """Anyone can call the webhook: the chain gets the first 5 per reason and client a
    minute, and the next row after that says how many were left out (all are logged)."""
    for _ in range(12):
        assert_error(api.post("anonymous", hook(), json=UPDATE), 403)
    assert rejections(api) == ["missing_header"] * 5
    assert api.rt.refusals.pending() == 7
    assert_error(api.post("anonymous", hook(), json=UPDATE, headers={HEADER: "x"}), 403)
    assert rejections(api)[-1] == "wrong_header"  # another reason: its own allowance
    clock.advance(timedelta(minutes=1))
    assert_error(api.post("anonymous", hook(), json=UPDATE), 403)
    with api.rt.uow(write=False) as uow:
        latest = uow.audit.list(limit=1, action="telegram.webhook_rejected")[0]
    assert latest.payload == {"reason": "missing_header", "client": "testclient", "suppressed": 7}
    assert api.rt.refusals.pending() == 0


def test_checks_come_before_the_body(api: Api) -> None:
    garbage = b"\xff not json"
    assert_error(api.post("anonymous", hook("nope"), content=garbage), 404)
    assert_error(api.post("anonymous", hook(), content=garbage), 403)
    # Past both checks, a malformed update is acknowledged and ignored: an error status
    # would only make Telegram retry the same bad update.
    bad = api.post("anonymous", hook(), content=garbage, headers={HEADER: WEBHOOK_SECRET})
    assert bad.status_code == 200 and bad.json() == {"ok": True}
    no_id = api.post("anonymous", hook(), json={"message": {}}, headers={HEADER: WEBHOOK_SECRET})
    assert no_id.status_code == 200 and no_id.json() == {"ok": True}


@pytest.fixture
def unconfigured(
    duckdb_url: str, tmp_path: Path, secret_keys: str, clock: FixedClock
) -> Iterator[Api]:
    rt = bootstrap(make_settings(duckdb_url, tmp_path / "h", secret_keys), clock=clock)
    try:
        yield from build_api(rt)
    finally:
        rt.close()


def test_unset_secret_means_no_webhook(unconfigured: Api) -> None:
    response = unconfigured.post("anonymous", hook(), json=UPDATE, headers={HEADER: WEBHOOK_SECRET})
    assert_error(response, 404, "not_found")
    assert "telegram" not in unconfigured.get("anonymous", "/health/").json()["checks"]
