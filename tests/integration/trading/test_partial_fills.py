"""Partial paper fills through the whole path, on DuckDB and Postgres: an approved LIMIT
trade fills in parts across ticks (positions follow each part) and the request ends
executed; a cancelled partial order ends CANCELLED with its filled part kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desk.adapters.paper.prices import ManualPriceSource
from desk.adapters.trading_venue import Venue
from desk.bootstrap import Runtime
from desk.domain.approval_model import RequestState
from desk.domain.orders import OrderStatus
from desk.services import approvals, trading
from desk.services.execution import get_intent
from tests.integration.conftest import ROOT, People
from tests.integration.trading.support import approved_request, store_paper_venue
from tests.integration.trading.test_proposals import order


@pytest.fixture
def prices() -> ManualPriceSource:
    return ManualPriceSource({"NSE:INFY": Decimal("1500.00"), "NSE:TCS": Decimal("3500.00")})


@pytest.fixture
def venue(runtime: Runtime, prices: ManualPriceSource) -> Venue:
    return store_paper_venue(runtime, prices, max_fill_quantity=4)


@pytest.fixture
def request_id(runtime: Runtime, people: People, venue: Venue) -> str:
    # BUY 10 INFY LIMIT 1500.00: crossed at once
    return approved_request(runtime, people, venue, order(price="1500.00"))


def state(rt: Runtime, request_id: str) -> RequestState:
    return approvals.get_request(rt, ROOT, request_id).request.state


def held(venue: Venue) -> int:
    return sum(p.quantity for p in venue.broker.positions().net if p.tradingsymbol == "INFY")


def test_a_limit_order_filling_in_parts_ends_executed(
    runtime: Runtime, venue: Venue, request_id: str
) -> None:
    first = trading.execute_request(runtime, venue.executor, venue.market, request_id)
    assert first.outcome is trading.TradeOutcome.WORKING and held(venue) == 4
    assert state(runtime, request_id) is RequestState.EXECUTING
    intent = get_intent(venue.executor, request_id)
    assert (intent.broker_status, intent.filled_quantity) == (OrderStatus.OPEN, 4)
    venue.tick()
    assert trading.settle_request(runtime, venue.executor, request_id).outcome is (
        trading.TradeOutcome.WORKING
    )
    assert get_intent(venue.executor, request_id).filled_quantity == 8 and held(venue) == 8
    venue.tick()
    done = trading.settle_request(runtime, venue.executor, request_id)
    assert done.outcome is trading.TradeOutcome.EXECUTED
    assert state(runtime, request_id) is RequestState.EXECUTED
    assert held(venue) == 10 and [t.quantity for t in venue.broker.trades()] == [4, 4, 2]
    (book,) = venue.broker.orders()
    assert (book.status, book.filled_quantity, book.pending_quantity) == (
        OrderStatus.COMPLETE, 10, 0,
    )  # fmt: skip


def test_cancelling_a_partly_filled_order_keeps_the_filled_part(
    runtime: Runtime, venue: Venue, request_id: str
) -> None:
    trading.execute_request(runtime, venue.executor, venue.market, request_id)
    venue.tick()  # 8 of 10 filled
    order_id = get_intent(venue.executor, request_id).order_id or ""
    venue.broker.cancel_order(order_id)
    done = trading.settle_request(runtime, venue.executor, request_id)
    intent = get_intent(venue.executor, request_id)
    assert (intent.broker_status, intent.filled_quantity) == (OrderStatus.CANCELLED, 8)
    assert done.outcome is trading.TradeOutcome.EXECUTED  # partly filled counts as executed
    assert state(runtime, request_id) is RequestState.EXECUTED
    venue.tick()  # nothing more fills
    assert held(venue) == 8 and len(venue.broker.trades()) == 2
    (book,) = venue.broker.orders()
    assert (book.filled_quantity, book.cancelled_quantity) == (8, 2)
