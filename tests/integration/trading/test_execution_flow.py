"""Approved trade → risk re-check → exactly one paper order → executed, through the dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from desk.adapters.execution_dispatcher import ExecutionDispatcher
from desk.adapters.paper.prices import ManualPriceSource
from desk.adapters.trading_venue import Venue
from desk.bootstrap import Runtime
from desk.domain.approval_model import RequestState
from desk.services import agents, approvals, audit, proposals, trading
from tests.integration.conftest import ROOT, People
from tests.integration.trading.support import approve, paper_agent, store_paper_venue
from tests.integration.trading.test_proposals import order


@pytest.fixture
def prices() -> ManualPriceSource:
    return ManualPriceSource({"NSE:INFY": Decimal("1500.00"), "NSE:TCS": Decimal("3500.00")})


@pytest.fixture
def venue(runtime: Runtime, prices: ManualPriceSource) -> Venue:
    return store_paper_venue(runtime, prices)


@pytest.fixture
def dispatcher(runtime: Runtime, venue: Venue) -> Iterator[ExecutionDispatcher]:
    d = ExecutionDispatcher(runtime, venue)
    yield d
    d.close()


@pytest.fixture
def agent_id(runtime: Runtime, people: People) -> str:
    return paper_agent(runtime, people)


def test_two_approvals_execute_exactly_once(
    runtime: Runtime, people: People, agent_id: str, venue: Venue, dispatcher: ExecutionDispatcher
) -> None:
    outcome = proposals.submit_proposal(
        runtime, venue.market, people.owner, agent_id, order(order_type="MARKET", price=None)
    )
    approve(runtime, people, outcome.request_id or "")
    dispatcher.drain()
    detail = approvals.get_request(runtime, people.owner, outcome.request_id or "")
    assert detail.request.state is RequestState.EXECUTED, detail.request.state_reason
    book = venue.broker.orders()
    assert len(book) == 1 and book[0].status.value == "COMPLETE" and book[0].tag.startswith("dk")
    # Any later attempt adopts the same order instead of placing another.
    dispatcher.tick()
    dispatcher.submit(outcome.request_id or "").result()
    assert len(venue.broker.orders()) == 1
    positions = venue.broker.positions().net
    assert [(p.tradingsymbol, p.quantity) for p in positions] == [("INFY", 10)]
    actions = [e.action for e in audit.list_events(runtime, ROOT, limit=100).events]
    assert {"approval.execution_started", "execution.placed", "approval.executed"} <= set(actions)
    assert audit.verify(runtime).ok


def test_resting_limit_order_settles_when_crossed(
    runtime: Runtime,
    people: People,
    agent_id: str,
    venue: Venue,
    dispatcher: ExecutionDispatcher,
    prices: ManualPriceSource,
) -> None:
    outcome = proposals.submit_proposal(runtime, venue.market, people.owner, agent_id, order())
    approve(runtime, people, outcome.request_id or "")
    dispatcher.drain()
    request_id = outcome.request_id or ""
    assert approvals.get_request(runtime, ROOT, request_id).request.state is RequestState.EXECUTING
    dispatcher.tick(sweep=False)  # still above the limit: nothing happens
    assert approvals.get_request(runtime, ROOT, request_id).request.state is RequestState.EXECUTING
    prices.set("NSE:INFY", Decimal("1499.00"))
    dispatcher.tick(sweep=False)
    assert approvals.get_request(runtime, ROOT, request_id).request.state is RequestState.EXECUTED
    assert len(venue.broker.orders()) == 1


def test_kill_switch_holds_then_releases(
    runtime: Runtime, people: People, agent_id: str, venue: Venue, dispatcher: ExecutionDispatcher
) -> None:
    outcome = proposals.submit_proposal(
        runtime, venue.market, people.owner, agent_id, order(order_type="MARKET", price=None)
    )
    agents.set_global_kill_switch(runtime, people.admin, True, "drill")
    approve(runtime, people, outcome.request_id or "")
    dispatcher.drain()
    request_id = outcome.request_id or ""
    assert approvals.get_request(runtime, ROOT, request_id).request.state is RequestState.APPROVED
    assert venue.broker.orders() == []
    agents.set_global_kill_switch(runtime, people.admin, False)
    dispatcher.tick()
    dispatcher.drain()
    assert approvals.get_request(runtime, ROOT, request_id).request.state is RequestState.EXECUTED


def test_stale_approval_goes_back_for_reapproval(
    runtime: Runtime, people: People, agent_id: str, venue: Venue, prices: ManualPriceSource
) -> None:
    outcome = proposals.submit_proposal(
        runtime, venue.market, people.owner, agent_id, order(order_type="MARKET", price=None)
    )
    approve(runtime, people, outcome.request_id or "")
    prices.set("NSE:INFY", Decimal("1560.00"))  # +4% since the request: over the 2% guard
    result = trading.execute_request(
        runtime, venue.executor, venue.market, outcome.request_id or ""
    )
    assert result.outcome is trading.TradeOutcome.REAPPROVAL and result.new_request_id
    old = approvals.get_request(runtime, ROOT, outcome.request_id or "")
    assert old.request.state is RequestState.CANCELED and "stale" in (
        old.request.state_reason or ""
    )
    fresh = approvals.get_request(runtime, ROOT, result.new_request_id)
    assert (
        fresh.request.state is RequestState.PENDING
        and fresh.details["reapproval_of"] == old.request.id
    )
    assert venue.broker.orders() == []


def test_intraday_requests_expire_at_the_cutoff(
    runtime: Runtime, people: People, agent_id: str, venue: Venue
) -> None:
    from datetime import timedelta

    outcome = proposals.submit_proposal(
        runtime, venue.market, people.owner, agent_id, order(product="MIS")
    )
    assert trading.expire_intraday(runtime) == []  # 09:30 IST: long before the cutoff
    runtime.clock.advance(timedelta(hours=5, minutes=50))  # type: ignore[attr-defined]  # 15:20 IST
    assert trading.expire_intraday(runtime) == [outcome.request_id]
    detail = approvals.get_request(runtime, ROOT, outcome.request_id or "")
    assert detail.request.state is RequestState.EXPIRED and "MIS" in (
        detail.request.state_reason or ""
    )
