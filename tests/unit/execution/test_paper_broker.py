from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.adapters.paper import (
    BrokerPriceSource,
    InMemoryPaperLedger,
    PaperBroker,
    SeededPriceSource,
)
from desk.domain.broker import BrokerInputError, BrokerNotFoundError
from desk.domain.clock import FixedClock, SequentialIdGen
from desk.domain.orders import OrderStatus, OrderType, Product, TransactionType, Validity
from desk.domain.paper import PaperFill, apply_fill
from desk.domain.risk.model import to_paise
from tests.unit.execution.support import T0, instruments, order, paper_setup

INFY = "NSE:INFY"
NOW = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)


def status(broker: PaperBroker, order_id: str) -> OrderStatus:
    return broker.order_history(order_id)[-1].status


# --- the pure bookkeeping -----------------------------------------------------------------


def fill(side: TransactionType, qty: int, price: str) -> PaperFill:
    return PaperFill("f", "o", None, "NSE", "INFY", "MIS", side, qty, Decimal(price), NOW)


def test_apply_fill_averages_realizes_and_flips() -> None:
    buy = apply_fill(None, fill(TransactionType.BUY, 10, "100"))
    assert (buy.position.quantity, buy.position.average_price) == (10, Decimal("100.0000"))
    assert buy.cash_delta_paise == -100_000
    more = apply_fill(buy.position, fill(TransactionType.BUY, 10, "110"))
    assert more.position.average_price == Decimal("105.0000")
    part = apply_fill(more.position, fill(TransactionType.SELL, 5, "120"))
    assert part.realized_delta_paise == 7_500  # (120 - 105) * 5
    assert part.position.average_price == Decimal("105.0000")
    flip = apply_fill(part.position, fill(TransactionType.SELL, 20, "100"))
    assert flip.position.quantity == -5 and flip.position.average_price == Decimal("100.0000")
    assert flip.realized_delta_paise == -7_500  # (100 - 105) * 15
    assert flip.position.realized_paise == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(TransactionType)),
            st.integers(1, 50),
            st.integers(1, 5000).map(lambda t: Decimal(t) / 10),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_round_trip_cash_equals_realized_pnl(
    trades: list[tuple[TransactionType, int, Decimal]],
) -> None:
    """Whatever the trades, once the position is closed out at its average price, the cash
    change equals the realized P&L (up to paise rounding per fill)."""
    position, cash = None, 0
    for side, qty, price in trades:
        effect = apply_fill(position, fill(side, qty, str(price)))
        position, cash = effect.position, cash + effect.cash_delta_paise
    assert position is not None
    if position.quantity:
        side = TransactionType.SELL if position.quantity > 0 else TransactionType.BUY
        effect = apply_fill(
            position, fill(side, abs(position.quantity), str(position.average_price))
        )
        position, cash = effect.position, cash + effect.cash_delta_paise
    assert position.quantity == 0
    assert abs(cash - position.realized_paise) <= len(trades) + 2


# --- price sources -------------------------------------------------------------------------


def test_seeded_prices_replay_exactly_and_stay_on_the_tick_grid() -> None:
    insts = list(instruments().values())
    a = SeededPriceSource.from_instruments(7, insts)
    b = SeededPriceSource.from_instruments(7, insts)
    c = SeededPriceSource.from_instruments(8, insts)
    walk_a, walk_b, walk_c = [], [], []
    for _ in range(50):
        walk_a.append(a.ltp([INFY, "NSE:TCS"]))
        walk_b.append(b.ltp([INFY, "NSE:TCS"]))
        walk_c.append(c.ltp([INFY, "NSE:TCS"]))
        a.advance()
        b.advance()
        c.advance()
    assert walk_a == walk_b and walk_a != walk_c
    assert len({w[INFY] for w in walk_a}) > 5  # it moves
    assert all(w[INFY] % Decimal("0.1") == 0 and w[INFY] > 0 for w in walk_a)
    assert a.price_at(INFY, 10) == walk_b[10][INFY]  # random access = the walk
    assert a.ltp(["NSE:NOPE"]) == {}


def test_broker_price_source_reads_another_brokers_ltp() -> None:
    setup = paper_setup()
    source = BrokerPriceSource(setup.broker)
    source.advance()
    assert source.ltp([INFY]) == {INFY: Decimal("1500.0")}


# --- the broker ----------------------------------------------------------------------------


def test_limit_rests_until_a_later_tick_crosses_it() -> None:
    setup = paper_setup()
    broker = setup.broker
    oid = broker.place_order(order(order_type=OrderType.LIMIT, price=Decimal("1490.0")))
    assert status(broker, oid) is OrderStatus.OPEN
    setup.set_ltp(INFY, Decimal("1495.0"))
    assert status(broker, oid) is OrderStatus.OPEN
    setup.set_ltp(INFY, Decimal("1488.0"))
    last = broker.order_history(oid)[-1]
    assert last.status is OrderStatus.COMPLETE and last.average_price == Decimal("1488.0")
    assert [o.status for o in broker.order_history(oid)] == [OrderStatus.OPEN, OrderStatus.COMPLETE]


def test_marketable_limit_fills_at_ltp_not_at_the_limit() -> None:
    broker = paper_setup().broker
    oid = broker.place_order(order(order_type=OrderType.LIMIT, price=Decimal("1600.0")))
    last = broker.order_history(oid)[-1]
    assert last.status is OrderStatus.COMPLETE and last.average_price == Decimal("1500.0")


def test_stop_loss_orders_wait_for_their_trigger() -> None:
    setup = paper_setup()
    broker = setup.broker
    slm = broker.place_order(
        order(order_type=OrderType.SL_M, trigger_price=Decimal("1510.0"), product=Product.MIS)
    )
    sl = broker.place_order(
        order(order_type=OrderType.SL, trigger_price=Decimal("1510.0"), price=Decimal("1512.0"))
    )
    assert status(broker, slm) is status(broker, sl) is OrderStatus.TRIGGER_PENDING
    setup.set_ltp(INFY, Decimal("1515.0"))  # triggers both; SL's limit 1512 is not crossed
    assert broker.order_history(slm)[-1].average_price == Decimal("1515.0")
    assert status(broker, sl) is OrderStatus.OPEN
    setup.set_ltp(INFY, Decimal("1511.0"))
    assert status(broker, sl) is OrderStatus.COMPLETE


def test_sell_stop_loss_triggers_on_the_way_down() -> None:
    setup = paper_setup()
    oid = setup.broker.place_order(
        order(
            transaction_type=TransactionType.SELL,
            order_type=OrderType.SL_M,
            trigger_price=Decimal("1490.0"),
        )
    )
    setup.set_ltp(INFY, Decimal("1495.0"))
    assert status(setup.broker, oid) is OrderStatus.TRIGGER_PENDING
    setup.set_ltp(INFY, Decimal("1489.0"))
    assert status(setup.broker, oid) is OrderStatus.COMPLETE


def test_ioc_limit_that_does_not_cross_is_cancelled() -> None:
    broker = paper_setup().broker
    oid = broker.place_order(
        order(order_type=OrderType.LIMIT, price=Decimal("1400.0"), validity=Validity.IOC)
    )
    last = broker.order_history(oid)[-1]
    assert last.status is OrderStatus.CANCELLED and last.cancelled_quantity == 2


def test_cnc_buy_beyond_free_cash_is_rejected_and_open_buys_block_cash() -> None:
    setup = paper_setup(cash_paise=to_paise(Decimal(4000)))
    broker = setup.broker
    resting = broker.place_order(
        order(product=Product.CNC, order_type=OrderType.LIMIT, price=Decimal("1400.0"))
    )  # blocks 2800
    assert broker.margins()["equity"].net_paise == to_paise(Decimal(1200))
    rejected = broker.place_order(order(product=Product.CNC))  # needs 3000
    last = broker.order_history(rejected)[-1]
    assert last.status is OrderStatus.REJECTED and "Insufficient funds" in (
        last.status_message or ""
    )
    broker.cancel_order(resting)
    ok = broker.place_order(order(product=Product.CNC))
    assert status(broker, ok) is OrderStatus.COMPLETE
    assert setup.ledger.cash_paise() == to_paise(Decimal(1000))


def test_cnc_sell_needs_holdings() -> None:
    broker = paper_setup().broker
    sell = order(product=Product.CNC, transaction_type=TransactionType.SELL)
    assert status(broker, broker.place_order(sell)) is OrderStatus.REJECTED
    broker.place_order(order(product=Product.CNC))
    assert status(broker, broker.place_order(sell)) is OrderStatus.COMPLETE


def test_positions_cash_and_pnl_follow_fills() -> None:
    setup = paper_setup(cash_paise=1_000_000_00)
    broker = setup.broker
    broker.place_order(order(quantity=10))
    setup.set_ltp(INFY, Decimal("1520.0"))
    (pos,) = broker.positions().net
    assert (pos.quantity, pos.average_price, pos.unrealised_paise) == (10, Decimal("1500"), 20_000)
    broker.place_order(order(quantity=4, transaction_type=TransactionType.SELL))
    (pos,) = broker.positions().net
    assert pos.quantity == 6 and pos.realised_paise == 8_000 and pos.pnl_paise == 20_000
    assert setup.ledger.realized_paise() == 8_000
    assert setup.ledger.cash_paise() == 1_000_000_00 - 1_500_000 + 608_000
    assert [t.quantity for t in broker.trades()] == [10, 4]


def test_bad_parameters_raise_and_create_nothing() -> None:
    broker = paper_setup().broker
    with pytest.raises(BrokerInputError, match="unknown"):
        broker.place_order(order(tradingsymbol="NOPE"))
    with pytest.raises(BrokerInputError, match="lot size"):
        broker.place_order(order(exchange="NFO", tradingsymbol="NIFTY26DECFUT", quantity=10))
    with pytest.raises(BrokerInputError, match="expired"):
        broker.place_order(order(exchange="NFO", tradingsymbol="NIFTY25DECFUT", quantity=75))
    with pytest.raises(BrokerInputError, match="index"):
        broker.place_order(order(tradingsymbol="NIFTY 50"))
    with pytest.raises(BrokerInputError, match="tick size"):
        broker.place_order(order(order_type=OrderType.LIMIT, price=Decimal("1490.05")))
    assert broker.orders() == []
    with pytest.raises(BrokerNotFoundError):
        broker.order_history("nope")


def test_cancel_rules() -> None:
    broker = paper_setup().broker
    done = broker.place_order(order())
    with pytest.raises(BrokerInputError, match="COMPLETE"):
        broker.cancel_order(done)
    with pytest.raises(BrokerNotFoundError):
        broker.cancel_order("nope")


def test_market_data_and_instruments_from_the_paper_side() -> None:
    setup = paper_setup()
    broker = setup.broker
    assert broker.ltp([INFY, "NSE:NOPE"]) == {INFY: Decimal("1500.0")}
    assert broker.quote([INFY])[INFY].instrument_token == 408065
    assert broker.order_margins([order()])[0].total_paise == 300_000
    csv_text = broker.instruments_csv("NSE")
    assert (
        csv_text.startswith("instrument_token,") and "INFY" in csv_text and ",BSE\n" not in csv_text
    )


def test_works_without_an_instrument_master_on_any_priced_symbol() -> None:
    prices = SeededPriceSource(1, {"NSE:ABC": Decimal("99.95")})
    broker = PaperBroker(prices, InMemoryPaperLedger(10**9), FixedClock(T0), SequentialIdGen())
    oid = broker.place_order(order(tradingsymbol="ABC"))
    assert broker.order_history(oid)[-1].average_price == Decimal("99.95")
