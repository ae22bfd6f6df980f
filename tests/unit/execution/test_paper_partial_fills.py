"""Partial fills in the paper broker: LIMIT orders fill at most ``max_fill_quantity`` per
match, positions follow every part, and order tracking reaches the right final state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desk.adapters.paper import (
    InMemoryExecutionRepository,
    InMemoryPaperLedger,
    ManualPriceSource,
    PaperBroker,
)
from desk.domain.clock import FixedClock, SequentialIdGen
from desk.domain.execution import ExecutionState, RequestOutcome
from desk.domain.orders import OrderStatus, OrderType, Product, TransactionType, Validity
from desk.services.execution import execute_approved
from desk.services.order_tracking import track_order
from tests.unit.execution.support import T0, base_prices, instruments, make_executor, order

INFY = "NSE:INFY"
S = OrderStatus


def broker(max_fill: int | None = 4, cash_paise: int = 50_000_000) -> PaperBroker:
    insts = instruments()
    prices = ManualPriceSource(base_prices(insts))  # INFY at 1500.0
    ledger = InMemoryPaperLedger(cash_paise)
    return PaperBroker(
        prices, ledger, FixedClock(T0), SequentialIdGen("pf"), instruments=insts,
        max_fill_quantity=max_fill,
    )  # fmt: skip


def limit(quantity: int = 10, price: str = "1500.0", **over: object) -> object:
    return order(
        order_type=OrderType.LIMIT, price=Decimal(price), quantity=quantity,
        product=Product.CNC, **over,
    )  # fmt: skip


def held(b: PaperBroker, symbol: str = "INFY") -> int:
    return sum(p.quantity for p in b.positions().net if p.tradingsymbol == symbol)


def set_price(b: PaperBroker, price: str, key: str = INFY) -> None:
    b._prices.set(key, Decimal(price))  # type: ignore[attr-defined]


def test_a_crossed_limit_fills_in_parts_one_per_tick_until_complete() -> None:
    b = broker(max_fill=4)
    order_id = b.place_order(limit(10))  # type: ignore[arg-type]
    (now,) = b.orders()
    assert (now.status, now.filled_quantity, now.pending_quantity) == (S.OPEN, 4, 6)
    assert held(b) == 4
    set_price(b, "1499.0")
    b.tick()
    (now,) = b.orders()
    assert (now.status, now.filled_quantity, now.pending_quantity) == (S.OPEN, 8, 2)
    assert held(b) == 8
    b.tick()
    (now,) = b.orders()
    assert (now.status, now.filled_quantity, now.pending_quantity) == (S.COMPLETE, 10, 0)
    assert held(b) == 10 and [t.quantity for t in b.trades()] == [4, 4, 2]
    # 4 @ 1500 + 6 @ 1499 → 1499.4; the position's average agrees
    assert now.average_price == Decimal("1499.4")
    (pos,) = b.positions().net
    assert pos.average_price == Decimal("1499.4")
    assert [h.filled_quantity for h in b.order_history(order_id)] == [0, 4, 8, 10]
    b.tick()  # a complete order never fills again
    assert held(b) == 10 and len(b.trades()) == 3


def test_no_part_fills_while_the_price_is_not_crossed() -> None:
    b = broker(max_fill=4)
    b.place_order(limit(10))  # type: ignore[arg-type]
    set_price(b, "1500.5")  # above the BUY limit
    b.tick()
    (now,) = b.orders()
    assert now.filled_quantity == 4 and held(b) == 4


def test_parts_are_whole_lots() -> None:
    b = broker(max_fill=100)  # NIFTY futures trade in lots of 75
    fut = "NFO:NIFTY26DECFUT"
    intent = order(
        exchange="NFO", tradingsymbol="NIFTY26DECFUT", order_type=OrderType.LIMIT,
        price=Decimal("24100.0"), quantity=225, product=Product.NRML,
    )  # fmt: skip
    b.place_order(intent)
    b.tick()
    b.tick()
    assert [t.quantity for t in b.trades()] == [75, 75, 75]
    assert b.orders()[0].status is S.COMPLETE and fut in {
        f"{p.exchange}:{p.tradingsymbol}" for p in b.positions().net
    }


def test_cancelling_a_partly_filled_order_keeps_the_filled_part() -> None:
    b = broker(max_fill=3)
    order_id = b.place_order(limit(10))  # type: ignore[arg-type]
    b.cancel_order(order_id)
    (now,) = b.orders()
    assert now.status is S.CANCELLED
    assert (now.filled_quantity, now.pending_quantity, now.cancelled_quantity) == (3, 0, 7)
    b.tick()
    assert held(b) == 3 and len(b.trades()) == 1


def test_an_ioc_limit_keeps_its_first_part_and_cancels_the_rest() -> None:
    b = broker(max_fill=4)
    b.place_order(limit(10, validity=Validity.IOC))  # type: ignore[arg-type]
    (now,) = b.orders()
    assert now.status is S.CANCELLED and (now.filled_quantity, now.cancelled_quantity) == (4, 6)
    assert held(b) == 4


def test_market_orders_and_unlimited_brokers_fill_at_once() -> None:
    b = broker(max_fill=4)
    b.place_order(order(quantity=10))  # MARKET
    assert b.orders()[0].status is S.COMPLETE and held(b) == 10
    whole = broker(max_fill=None)
    whole.place_order(limit(10))  # type: ignore[arg-type]
    assert whole.orders()[0].status is S.COMPLETE and [t.quantity for t in whole.trades()] == [10]


def test_a_partly_filled_cnc_buy_blocks_cash_only_for_what_is_pending() -> None:
    b = broker(max_fill=4, cash_paise=10_000_000)  # ₹1,00,000
    b.place_order(limit(10))  # type: ignore[arg-type]
    equity = b.margins()["equity"]
    spent, blocked = 4 * 150_000, 6 * 150_000  # paise at ₹1,500
    assert equity.cash_paise == 10_000_000 - spent
    assert equity.utilised_debits_paise == blocked
    assert equity.net_paise == 10_000_000 - spent - blocked


def test_a_partial_sell_realizes_pnl_per_part() -> None:
    b = broker(max_fill=None)
    b.place_order(order(quantity=10, product=Product.CNC))  # buy 10 @ 1500 at once
    parts = PaperBroker(
        b._prices, b._ledger, FixedClock(T0), SequentialIdGen("s"),  # type: ignore[attr-defined]
        instruments=instruments(), max_fill_quantity=5,
    )  # fmt: skip
    set_price(parts, "1510.0")
    parts.place_order(limit(10, "1510.0", transaction_type=TransactionType.SELL))  # type: ignore[arg-type]
    (pos,) = parts.positions().net
    assert pos.quantity == 5 and pos.realised_paise == 5 * 1_000  # ₹10 × 5
    parts.tick()
    (pos,) = parts.positions().net
    assert pos.quantity == 0 and pos.realised_paise == 10 * 1_000


def test_the_same_prices_give_the_same_fills() -> None:
    def run() -> list[tuple[str, int, str]]:
        b = broker(max_fill=3)
        b.place_order(limit(10))  # type: ignore[arg-type]
        for price in ("1499.0", "1501.0", "1498.5", "1497.0"):
            set_price(b, price)
            b.tick()
        return [(f.tradingsymbol, f.quantity, str(f.average_price)) for f in b.trades()]

    assert run() == run() and [q for _, q, _ in run()] == [3, 3, 3, 1]


def test_tracking_follows_the_parts_to_complete() -> None:
    b = broker(max_fill=4)
    ex = make_executor(b, InMemoryExecutionRepository())
    placed = execute_approved(ex, "req-p", limit(10))  # type: ignore[arg-type]
    assert placed.intent.state is ExecutionState.SUBMITTED
    first = track_order(ex, "req-p", max_polls=1)
    assert first.intent.state is ExecutionState.SUBMITTED
    assert first.intent.broker_status is S.OPEN and first.intent.filled_quantity == 4
    assert first.intent.outcome is None
    b.tick()
    middle = track_order(ex, "req-p", max_polls=1)
    assert middle.intent.filled_quantity == 8 and middle.intent.outcome is None
    b.tick()
    done = track_order(ex, "req-p", max_polls=1)
    assert done.intent.state is ExecutionState.FINAL and done.intent.broker_status is S.COMPLETE
    assert done.intent.filled_quantity == 10 and done.intent.outcome is RequestOutcome.EXECUTED


def test_tracking_a_cancelled_partial_order_ends_cancelled_with_the_filled_part() -> None:
    b = broker(max_fill=4)
    ex = make_executor(b, InMemoryExecutionRepository())
    placed = execute_approved(ex, "req-c", limit(10))  # type: ignore[arg-type]
    b.cancel_order(placed.intent.order_id or "")
    done = track_order(ex, "req-c", max_polls=1)
    assert done.intent.state is ExecutionState.FINAL
    assert done.intent.broker_status is S.CANCELLED and done.intent.filled_quantity == 4
    assert done.intent.average_price == Decimal("1500.0")
    assert done.intent.outcome is RequestOutcome.EXECUTED  # partly filled counts as executed
    assert held(b) == 4


def test_max_fill_quantity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        broker(max_fill=0)
