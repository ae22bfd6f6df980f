"""Kite over HTTP: login URL, the login redirect (fake Kite), and checksum-verified postbacks."""

from __future__ import annotations

from decimal import Decimal

from desk.domain.broker import OrderIntent
from desk.domain.execution import ExecutionState, new_intent
from desk.domain.orders import OrderType, Product, TransactionType
from desk.domain.postbacks import postback_checksum
from desk.services import vault
from tests.integration.api import factories
from tests.integration.api.conftest import KITE_API_KEY, KITE_API_SECRET, Api, assert_error

KITE = "/api/v1/kite/"
STAMP = "2026-11-25 09:35:12"


def _credential(api: Api) -> str:
    owner = factories.actor(api.users["owner"])
    return vault.add_broker_credential(
        api.rt, owner, api_key=KITE_API_KEY, api_secret=KITE_API_SECRET
    ).id


def _postback(order_id: str, status: str = "COMPLETE", secret: str = KITE_API_SECRET) -> dict:
    return {
        "order_id": order_id, "order_timestamp": STAMP, "status": status,
        "checksum": postback_checksum(order_id, STAMP, secret), "filled_quantity": 2,
        "average_price": 1500.5, "tag": None, "user_id": "AB1234",
    }  # fmt: skip


def test_login_url_and_callback_store_a_session(api: Api) -> None:
    credential_id = _credential(api)
    url = api.get("owner", f"{KITE}login-url/", params={"credential_id": credential_id})
    assert "api_key=fake_api_key" in url.json()["login_url"]
    assert_error(
        api.get("approver", f"{KITE}login-url/", params={"credential_id": credential_id}), 404
    )
    done = api.get(
        "owner", f"{KITE}callback/",
        params={"credential_id": credential_id, "request_token": "reqtoken123",
                "action": "login", "status": "success"},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["token_status"] in ("valid", "expiring")
    assert done.json()["access_token"].startswith("••••")
    again = api.get(
        "owner", f"{KITE}callback/",
        params={"credential_id": credential_id, "request_token": "reqtoken123"},
    )  # fmt: skip
    assert again.status_code in (401, 403, 409, 422, 502, 503)  # request tokens are single-use
    bad = api.get(
        "owner", f"{KITE}callback/",
        params={"credential_id": credential_id, "request_token": "bad token"},
    )  # fmt: skip
    assert "request_token" in assert_error(bad, 422)["fields"]
    anonymous = api.get(
        "anonymous", f"{KITE}callback/",
        params={"credential_id": credential_id, "request_token": "abcdef"},
    )  # fmt: skip
    assert_error(anonymous, 401)


def test_postback_good_bad_and_duplicate(api: Api) -> None:
    _credential(api)
    repo = api.app.state.server.paper.executor.repo
    order = OrderIntent(
        tag="pending", exchange="NSE", tradingsymbol="INFY", transaction_type=TransactionType.BUY,
        quantity=2, order_type=OrderType.LIMIT, product=Product.CNC, price=Decimal("1500.5"),
    )  # fmt: skip
    now = api.rt.clock.now()
    intent = repo.save_intent(new_intent("intent1", "req-not-in-store", order, now))
    assert repo.transition(intent.id, ExecutionState.INTENT_SAVED, ExecutionState.SUBMITTED,
                           order_id="250000000000001", updated_at=now)  # fmt: skip

    forged = api.post("anonymous", f"{KITE}postback/",
                      json=_postback("250000000000001", secret="not-the-secret"))  # fmt: skip
    assert assert_error(forged, 401, "postback_checksum_invalid")["fields"] == {
        "checksum": "does not match"
    }
    assert repo.get(intent.id).state is ExecutionState.SUBMITTED  # nothing changed
    assert "execution.postback_rejected" in api.audit_actions()

    applied = api.post("anonymous", f"{KITE}postback/", json=_postback("250000000000001"))
    assert applied.status_code == 200 and applied.json()["action"] == "applied", applied.text
    stored = repo.get(intent.id)
    assert stored.state is ExecutionState.FINAL and stored.filled_quantity == 2
    duplicate = api.post("anonymous", f"{KITE}postback/", json=_postback("250000000000001"))
    assert duplicate.json()["action"] == "duplicate"
    assert api.audit_actions().count("execution.postback") == 1

    stranger = api.post("anonymous", f"{KITE}postback/", json=_postback("999"))
    assert stranger.json()["action"] == "unknown_order"
    assert_error(api.post("anonymous", f"{KITE}postback/", json=[1, 2]), 422)
    assert_error(api.post("anonymous", f"{KITE}postback/", json={}), 401)
    no_status = {**_postback("250000000000001"), "status": ""}
    assert_error(api.post("anonymous", f"{KITE}postback/", json=no_status), 422)
