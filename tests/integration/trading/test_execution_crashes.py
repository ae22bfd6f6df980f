"""The trade hand-off (approved → executing and the execution intent, one transaction) with
the executor killed at each point, on DuckDB and Postgres: the next attempt leaves exactly
one order at the broker and the request executed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from desk.adapters.paper.prices import ManualPriceSource
from desk.adapters.trading_venue import Venue
from desk.bootstrap import Runtime
from desk.domain.approval_model import RequestState
from desk.domain.execution import ExecutionIntent, ExecutionState
from desk.services import approvals, trading
from desk.services.execution import Checkpoint, ExecutionStep, get_intent
from tests.integration.conftest import ROOT, People
from tests.integration.trading.support import approved_request, store_paper_venue
from tests.integration.trading.test_proposals import order
from tests.unit.execution.support import SimulatedCrash

S = ExecutionState


@pytest.fixture
def venue(runtime: Runtime) -> Venue:
    return store_paper_venue(runtime, ManualPriceSource({"NSE:INFY": Decimal("1500.00")}))


@pytest.fixture
def request_id(runtime: Runtime, people: People, venue: Venue) -> str:
    return approved_request(runtime, people, venue, order(order_type="MARKET", price=None))


def dies_at(step: ExecutionStep) -> Checkpoint:
    def hook(reached: ExecutionStep, _intent: ExecutionIntent) -> None:
        if reached is step:
            raise SimulatedCrash(step.value)

    return hook


@pytest.mark.parametrize("step", list(ExecutionStep))
def test_a_kill_anywhere_after_the_hand_off_leaves_one_order(
    runtime: Runtime, venue: Venue, request_id: str, step: ExecutionStep
) -> None:
    crashing = replace(venue.executor, checkpoint=dies_at(step))
    with pytest.raises(SimulatedCrash):
        trading.execute_request(runtime, crashing, venue.market, request_id)
    detail = approvals.get_request(runtime, ROOT, request_id)
    assert detail.request.state is RequestState.EXECUTING  # handed off with its intent
    stored = get_intent(venue.executor, request_id)  # stored before anything was sent
    assert stored.state in (S.INTENT_SAVED, S.PLACING, S.SUBMITTED)
    runtime.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]  # claim aged
    result = trading.execute_request(runtime, venue.executor, venue.market, request_id)
    assert result.outcome is trading.TradeOutcome.EXECUTED, result.message
    assert len(venue.broker.orders()) == 1
    final = get_intent(venue.executor, request_id)
    assert final.state is S.FINAL and final.order_id == result.order_id
    assert approvals.get_request(runtime, ROOT, request_id).request.state is (RequestState.EXECUTED)
