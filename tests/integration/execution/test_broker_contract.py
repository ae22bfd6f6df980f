"""One contract, two brokers: PaperBroker and KiteBroker (kiteconnect → fake Kite)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desk.domain.broker import BrokerInputError, BrokerNotFoundError
from desk.domain.orders import OrderStatus, OrderType, Product, TransactionType
from tests.integration.execution.conftest import BrokerHarness
from tests.unit.execution.support import order

INFY = "NSE:INFY"


def test_market_order_shows_its_tag_and_completes_at_ltp(harness: BrokerHarness) -> None:
    b = harness.broker
    oid = b.place_order(order("dkCONTRACT1"))
    (row,) = [o for o in b.orders() if o.tag == "dkCONTRACT1"]
    assert row.order_id == oid
    history = b.order_history(oid)
    assert history[-1].status is OrderStatus.COMPLETE and history[-1].is_final
    assert history[-1].filled_quantity == 2 and history[-1].average_price == Decimal("1500")
    assert all(not o.is_final for o in history[:-1])
    (pos,) = b.positions().net
    assert (pos.key, pos.product, pos.quantity, pos.average_price) == (
        INFY,
        "MIS",
        2,
        Decimal(1500),
    )
    assert [t.order_id for t in b.trades()] == [oid]


def test_limit_rests_open_until_the_price_crosses(harness: BrokerHarness) -> None:
    b = harness.broker
    oid = b.place_order(order("dkLIMIT", order_type=OrderType.LIMIT, price=Decimal("1490.0")))
    assert b.order_history(oid)[-1].status is OrderStatus.OPEN
    assert b.positions().net == ()
    harness.set_ltp(INFY, Decimal("1491.0"))
    assert b.order_history(oid)[-1].status is OrderStatus.OPEN
    harness.set_ltp(INFY, Decimal("1489.5"))
    last = b.order_history(oid)[-1]
    assert last.status is OrderStatus.COMPLETE and last.average_price == Decimal("1489.5")


def test_marketable_limit_fills_at_ltp(harness: BrokerHarness) -> None:
    oid = harness.broker.place_order(
        order("dkML", order_type=OrderType.LIMIT, price=Decimal("1510.0"))
    )
    last = harness.broker.order_history(oid)[-1]
    assert last.status is OrderStatus.COMPLETE and last.average_price == Decimal("1500")


def test_stop_loss_market_waits_for_its_trigger(harness: BrokerHarness) -> None:
    b = harness.broker
    oid = b.place_order(order("dkSLM", order_type=OrderType.SL_M, trigger_price=Decimal("1505.0")))
    assert b.order_history(oid)[-1].status is OrderStatus.TRIGGER_PENDING
    harness.set_ltp(INFY, Decimal("1506.0"))
    last = b.order_history(oid)[-1]
    assert last.status is OrderStatus.COMPLETE and last.average_price == Decimal("1506")


def test_round_trip_realises_pnl(harness: BrokerHarness) -> None:
    b = harness.broker
    b.place_order(order("dkRT1"))
    harness.set_ltp(INFY, Decimal("1510.0"))
    b.place_order(order("dkRT2", transaction_type=TransactionType.SELL))
    (pos,) = b.positions().net
    assert pos.quantity == 0 and pos.realised_paise == 2_000  # (1510 - 1500) * 2


def test_rejected_order_is_in_the_book_as_rejected_with_a_reason(harness: BrokerHarness) -> None:
    b = harness.broker
    oid = b.place_order(order("dkREJ", quantity=600, product=Product.CNC))
    last = b.order_history(oid)[-1]
    assert last.status is OrderStatus.REJECTED and last.status_message
    assert last.filled_quantity == 0
    assert [o.tag for o in b.orders()] == ["dkREJ"]
    assert b.positions().net == ()


def test_bad_parameters_raise_input_errors(harness: BrokerHarness) -> None:
    with pytest.raises(BrokerInputError):
        harness.broker.place_order(order("dkBAD", tradingsymbol="NOSUCH"))
    with pytest.raises(BrokerInputError):
        harness.broker.place_order(
            order("dkTICK", order_type=OrderType.LIMIT, price=Decimal("1490.05"))
        )
    assert list(harness.broker.orders()) == []


def test_cancel_open_order_then_cancel_again_is_refused(harness: BrokerHarness) -> None:
    b = harness.broker
    oid = b.place_order(order("dkCXL", order_type=OrderType.LIMIT, price=Decimal("1400.0")))
    b.cancel_order(oid)
    assert b.order_history(oid)[-1].status is OrderStatus.CANCELLED
    with pytest.raises(BrokerInputError):
        b.cancel_order(oid)


def test_unknown_order_history_is_not_found(harness: BrokerHarness) -> None:
    with pytest.raises(BrokerNotFoundError):
        harness.broker.order_history("123456")


def test_ltp_and_quotes(harness: BrokerHarness) -> None:
    assert harness.broker.ltp([INFY]) == {INFY: Decimal("1500")}
    assert harness.broker.quote([INFY])[INFY].instrument_token == 408065
