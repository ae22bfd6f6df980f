"""Last prices (GET /api/v1/quotes/) and who decided, by name, in a request's detail."""

from __future__ import annotations

from decimal import Decimal

from desk.client import Desk
from desk.services import vault
from tests.integration.api import factories
from tests.integration.api.conftest import KITE_API_KEY, KITE_API_SECRET, Api, assert_error
from tests.integration.api.factories import CONFIG, ORDER
from tests.integration.api.helpers import load_demo_instruments
from tests.integration.api.test_client import live

__all__ = ["live"]  # the uvicorn fixture, shared
QUOTES = "/api/v1/quotes/"


def test_quotes_come_from_the_paper_venue_and_name_what_has_no_price(api: Api) -> None:
    load_demo_instruments(api)
    found = api.get("member", QUOTES, params={"instruments": "NSE:INFY,NSE:NOSUCH,NSE:INFY"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["source"] == "paper"
    assert [q["instrument"] for q in body["quotes"]] == ["NSE:INFY", "NSE:NOSUCH"]
    assert Decimal(body["quotes"][0]["ltp"]) > 0
    assert body["quotes"][1]["ltp"] is None and body["missing"] == ["NSE:NOSUCH"]


def test_quotes_refuse_malformed_instruments(api: Api) -> None:
    for bad in ("INFY", "NSE:INFY,", "nse:INFY", ",".join(["NSE:INFY"] * 51)):
        assert "instruments" in str(
            assert_error(api.get("member", QUOTES, params={"instruments": bad}), 422)
        )
    wrong = api.get("member", QUOTES, params={"instruments": "INFY"}).json()["error"]
    assert wrong["fields"]["instruments"] == (
        "not in the expected format: Comma list of EXCHANGE:SYMBOL (at most 50) "
        "(e.g. NSE:INFY,NSE:TCS)"
    )  # in words, not the regular expression it failed
    assert_error(api.get("member", QUOTES), 422)
    assert_error(api.get("anonymous", QUOTES, params={"instruments": "NSE:INFY"}), 401)


def test_quotes_use_your_own_kite_session_when_you_have_one(api: Api) -> None:
    load_demo_instruments(api)
    owner = factories.actor(api.users["owner"])
    credential = vault.add_broker_credential(
        api.rt, owner, api_key=KITE_API_KEY, api_secret=KITE_API_SECRET
    ).id
    login = api.get(
        "owner", "/api/v1/kite/callback/",
        params={"credential_id": credential, "request_token": "quotesreqtoken"},
    )  # fmt: skip
    assert login.status_code == 200, login.text
    mine = api.get("owner", QUOTES, params={"instruments": "NSE:INFY"}).json()
    assert mine["source"] == "kite" and mine["missing"] == []
    assert Decimal(mine["quotes"][0]["ltp"]) > 0
    # someone without a Kite session gets the paper venue's prices, never the owner's session
    assert api.get("approver", QUOTES, params={"instruments": "NSE:INFY"}).json()["source"] == (
        "paper"
    )


def test_decisions_name_who_decided_and_the_client_reads_quotes(api: Api, live: str) -> None:
    load_demo_instruments(api)
    with (
        Desk(live, api.tokens["owner"], backoff=0) as owner,
        Desk(live, api.tokens["approver"], backoff=0) as approver,
    ):
        agent = owner.create_agent("named-deciders", CONFIG, approvers=["approver"])
        promotion = owner.request_promotion(agent.id, 1)
        approver.decide(promotion.id, "approve", "ok")
        proposal = owner.submit_proposal(agent.id, **ORDER)
        assert proposal.request_id
        approver.decide(proposal.request_id, "reject", "too early")
        for request_id in (promotion.id, proposal.request_id):
            [decision] = owner.approval(request_id).decisions
            assert decision.approver_id == api.users["approver"].id
            assert decision.username == "approver"
        raw = api.get("owner", f"/api/v1/approval-requests/{promotion.id}/").json()
        assert raw["decisions"][0]["username"] == "approver"  # added next to approver_id
        quotes = approver.quotes(["NSE:INFY", "NSE:NOSUCH"])
        assert quotes.source == "paper" and quotes.missing == ["NSE:NOSUCH"]
        assert quotes.quotes[0].ltp is not None
