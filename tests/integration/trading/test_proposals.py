"""Proposals through risk into approval requests, on DuckDB and Postgres."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest

from desk.bootstrap import Runtime
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.errors import PermissionDeniedError, ValidationError
from desk.domain.orders import TradeProposal
from desk.domain.proposals import ProposalStatus
from desk.services import agents, approvals, proposals
from desk.services.ports.market_view import MarketSnapshot
from tests.integration.conftest import ROOT, People, make_agent, promote_to_paper


class FakeMarketView:
    def __init__(self, prices: Mapping[str, Decimal], realized: int = 0) -> None:
        self.prices = dict(prices)
        self.realized = realized

    def start_snapshot(self, proposal: TradeProposal) -> Callable[[], MarketSnapshot]:
        return lambda: MarketSnapshot(
            self.prices.get(proposal.instrument_key), realized_pnl_today_paise=self.realized
        )


MARKET = FakeMarketView({"NSE:INFY": Decimal("1500.00"), "NSE:TCS": Decimal("3500.00")})


def order(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "exchange": "NSE", "tradingsymbol": "INFY", "transaction_type": "BUY", "quantity": 10,
        "order_type": "LIMIT", "price": "1499.50", "product": "CNC",
        "rationale": "Contract win lifts FY27 revenue visibility.",
        "evidence": ["http://example.test/infy"],
    }  # fmt: skip
    base.update(overrides)
    return base


@pytest.fixture
def agent_id(runtime: Runtime, people: People) -> str:
    assert proposals.load_instruments(runtime, ROOT, INSTRUMENTS_CSV.read_text()) > 10
    agent = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent)
    return agent


def test_passing_proposal_opens_a_trade_request(
    runtime: Runtime, people: People, agent_id: str
) -> None:
    outcome = proposals.submit_proposal(runtime, MARKET, people.owner, agent_id, order())
    assert outcome.report.passed and outcome.proposal.status is ProposalStatus.SUBMITTED
    detail = approvals.get_request(runtime, people.a1, outcome.request_id or "")
    assert detail.details["instrument"] == "NSE:INFY" and detail.details["value_paise"] == 1_499_500
    assert detail.details["ltp_at_creation"] == "1500.00"
    assert [d.request.id for d in approvals.queue(runtime, people.a1)] == [outcome.request_id]


def test_failing_proposal_is_blocked_with_every_reason(
    runtime: Runtime, people: People, agent_id: str
) -> None:
    outcome = proposals.submit_proposal(
        runtime, MARKET, people.owner, agent_id, order(price="1400.03", quantity=5000)
    )
    record = outcome.proposal
    assert record.status is ProposalStatus.BLOCKED and outcome.request_id is None
    failed = {c["name"] for c in record.failed_checks}
    assert {"tick_size", "max_quantity", "fat_finger_band"} <= failed
    typo = proposals.submit_proposal(
        runtime, MARKET, people.owner, agent_id, order(tradingsymbol="INFYY")
    )
    [instrument] = [c for c in typo.proposal.failed_checks if c["name"] == "instrument_exists"]
    assert "INFY" in instrument["message"]  # did you mean
    assert approvals.queue(runtime, people.a1) == []
    stored, count = proposals.list_proposals(
        runtime, people.a1, agent_id=agent_id, status="blocked"
    )
    assert count == 2 and {p.id for p in stored} == {record.id, typo.proposal.id}


def test_kill_switch_blocks_instead_of_dropping(
    runtime: Runtime, people: People, agent_id: str
) -> None:
    agents.set_agent_kill_switch(runtime, people.owner, agent_id, True)
    outcome = proposals.submit_proposal(runtime, MARKET, people.owner, agent_id, order())
    assert outcome.proposal.status is ProposalStatus.BLOCKED
    assert [c["name"] for c in outcome.proposal.failed_checks] == ["trading_allowed"]


def test_loss_limit_pauses_the_agent(runtime: Runtime, people: People, agent_id: str) -> None:
    losing = FakeMarketView(MARKET.prices, realized=-10_000_000)
    outcome = proposals.submit_proposal(runtime, losing, people.owner, agent_id, order())
    assert "daily_loss_limit" in {c["name"] for c in outcome.proposal.failed_checks}
    assert agents.get_agent(runtime, people.owner, agent_id).agent.is_paused


def test_bad_input_and_permissions_store_nothing(
    runtime: Runtime, people: People, agent_id: str
) -> None:
    with pytest.raises(ValidationError) as info:
        proposals.submit_proposal(
            runtime,
            MARKET,
            people.owner,
            agent_id,
            order(order_type="LIMIT", price=None, quantity=-1),
        )
    assert {"price", "quantity"} <= set(info.value.fields)
    with pytest.raises(PermissionDeniedError):
        proposals.submit_proposal(runtime, MARKET, people.a1, agent_id, order())
    assert proposals.list_proposals(runtime, people.admin)[1] == 0


def test_run_ideas_enter_the_pipeline(runtime: Runtime, people: People, agent_id: str) -> None:
    ideas = [
        {"instrument": "NSE:INFY", "side": "BUY", "quantity": 10, "order_type": "MARKET",
         "product": "CNC", "rationale": "r", "evidence": [
             {"url": "http://x.test/a", "opened": True, "content_sha256": "ab" * 32,
              "fetched_at": "2026-11-25T04:00:00+00:00"}]},
        {"instrument": "NSE:INFY", "side": "SIDEWAYS", "quantity": 1},  # malformed: skipped
    ]  # fmt: skip
    ids = proposals.from_run(runtime, MARKET, agent_id, "run-1", ideas)
    assert len(ids) == 1
    record = proposals.get_proposal(runtime, people.owner, ids[0])
    assert record.run_id == "run-1" and record.proposal["evidence_detail"][0]["opened"]
    assert record.proposer_id == people.owner.user_id  # the agent's owner proposes its runs' trades
