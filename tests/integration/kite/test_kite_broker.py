"""KiteBroker → real kiteconnect → real HTTP → the fake Kite server."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from desk.adapters.kite import KiteBroker
from desk.adapters.kite.fake_server import RunningFakeKite
from desk.domain.broker import (
    BrokerAuthError,
    BrokerInputError,
    BrokerNotFoundError,
    BrokerRateLimitedError,
)
from desk.domain.errors import ValidationError
from desk.domain.instruments import parse_instruments_csv
from desk.domain.orders import OrderStatus, OrderType, Product, TransactionType, Variety

from .conftest import FIXTURES, intent


def test_market_order_appears_with_its_tag_and_completes(
    broker: KiteBroker, fake_kite: RunningFakeKite
) -> None:
    order_id = broker.place_order(intent("k1a2b3c4d5e6f7g8h9i0"))
    book = broker.orders()
    assert [o.order_id for o in book] == [order_id]
    order = book[0]
    assert order.tag == "k1a2b3c4d5e6f7g8h9i0"
    assert order.status is OrderStatus.COMPLETE and order.is_final
    assert order.filled_quantity == 2 and order.average_price == Decimal("1500")
    assert order.order_timestamp is not None and order.order_timestamp.tzinfo is not None
    steps = [o.status for o in broker.order_history(order_id)]
    assert steps[0] is OrderStatus.PUT_ORDER_REQ_RECEIVED and steps[-1] is OrderStatus.COMPLETE
    # MARKET orders carry automatic market protection (Kite rejects 0 via the API)
    assert fake_kite.state.orders[order_id].params["market_protection"] == "-1"
    assert [t.order_id for t in broker.trades()] == [order_id]
    assert broker.find_by_tag("k1a2b3c4d5e6f7g8h9i0")[0].order_id == order_id
    assert broker.find_by_tag("other") == []


def test_limit_rests_until_the_market_crosses(
    broker: KiteBroker, fake_kite: RunningFakeKite
) -> None:
    order_id = broker.place_order(
        intent(order_type=OrderType.LIMIT, price=Decimal("1499.9"), product=Product.MIS)
    )
    assert fake_kite.state.orders[order_id].params["price"] == "1499.9"
    assert "market_protection" not in fake_kite.state.orders[order_id].params
    assert broker.order_history(order_id)[-1].status is OrderStatus.OPEN
    fake_kite.state.set_ltp("NSE:INFY", Decimal("1499.5"))
    final = broker.order_history(order_id)[-1]
    assert final.status is OrderStatus.COMPLETE and final.average_price == Decimal("1499.5")
    pos = broker.positions().net[0]
    assert (pos.key, pos.product, pos.quantity) == ("NSE:INFY", "MIS", 2)


def test_cancel_open_order_and_refuse_cancelling_a_complete_one(broker: KiteBroker) -> None:
    resting = broker.place_order(intent(order_type=OrderType.LIMIT, price=Decimal("1400")))
    assert broker.cancel_order(resting) == resting
    last = broker.order_history(resting)[-1]
    assert last.status is OrderStatus.CANCELLED and last.cancelled_quantity == 2
    done = broker.place_order(intent("req0002"))
    with pytest.raises(BrokerInputError, match="cannot be cancelled"):
        broker.cancel_order(done)
    with pytest.raises(BrokerNotFoundError):
        broker.order_history("999")


def test_stop_loss_market_waits_for_trigger_with_protection(
    broker: KiteBroker, fake_kite: RunningFakeKite
) -> None:
    order_id = broker.place_order(
        intent(
            order_type=OrderType.SL_M,
            transaction_type=TransactionType.SELL,
            trigger_price=Decimal("1450"),
            market_protection=5,
        )
    )
    assert broker.order_history(order_id)[-1].status is OrderStatus.TRIGGER_PENDING
    assert fake_kite.state.orders[order_id].params["market_protection"] == "5"
    fake_kite.state.set_ltp("NSE:INFY", Decimal("1449"))
    assert broker.order_history(order_id)[-1].status is OrderStatus.COMPLETE


def test_rule_rejection_and_amo(broker: KiteBroker) -> None:
    rejected = broker.place_order(intent(quantity=501))
    last = broker.order_history(rejected)[-1]
    assert last.status is OrderStatus.REJECTED and "RMS" in (last.status_message or "")
    amo = broker.place_order(intent("amo1", variety=Variety.AMO))
    assert broker.order_history(amo)[-1].status is OrderStatus.AMO_REQ_RECEIVED


def test_broker_side_input_errors(broker: KiteBroker) -> None:
    with pytest.raises(BrokerInputError, match="tradingsymbol"):
        broker.place_order(intent(tradingsymbol="NOPE"))
    with pytest.raises(BrokerInputError, match="lot size"):
        broker.place_order(
            intent(exchange="NFO", tradingsymbol="NIFTY26DECFUT", quantity=10, product=Product.NRML)
        )


def test_intent_and_constructor_validation(fake_kite: RunningFakeKite) -> None:
    with pytest.raises(ValidationError, match="tag"):
        intent("x" * 21)
    with pytest.raises(ValidationError, match="tag"):
        intent("has space")
    with pytest.raises(ValidationError, match="price"):
        intent(order_type=OrderType.LIMIT)
    with pytest.raises(ValidationError, match="market_protection"):
        KiteBroker("k", "t", root=fake_kite.url, market_protection=0)


def test_market_data(broker: KiteBroker) -> None:
    assert broker.ltp(["NSE:INFY", "NSE:NOPE"]) == {"NSE:INFY": Decimal("1500")}
    quote = broker.quote(["NSE:SBIN"])["NSE:SBIN"]
    assert quote.instrument_token == 779521 and quote.last_price == Decimal("800")
    assert quote.ohlc is not None and quote.lower_circuit_limit == Decimal("640")
    ohlc = broker.ohlc(["NSE:TCS"])["NSE:TCS"]
    assert ohlc.ohlc is not None and ohlc.ohlc.close == Decimal("3500")


def test_margins_and_order_margins(broker: KiteBroker) -> None:
    equity = broker.margins()["equity"]
    assert equity.enabled and equity.cash_paise == 50_000_000
    need = broker.order_margins(
        [intent(order_type=OrderType.LIMIT, price=Decimal("1500"), quantity=10)]
    )
    assert need[0].total_paise == 1_500_000 and need[0].charges_paise > 0


def test_instruments_csv_round_trips(broker: KiteBroker) -> None:
    served = parse_instruments_csv(broker.instruments_csv())
    authored = parse_instruments_csv((FIXTURES / "instruments.csv").read_text("utf-8"))
    assert served == authored
    nfo = parse_instruments_csv(broker.instruments_csv("NFO"))
    assert {i.exchange for i in nfo} == {"NFO"} and len(nfo) == 4


def test_login_session_with_checksum(fake_kite: RunningFakeKite, broker: KiteBroker) -> None:
    fresh = KiteBroker("fake_api_key", root=fake_kite.url)
    try:
        assert "api_key=fake_api_key" in fresh.login_url()
        session = fresh.generate_session("req-token-1", "fake_api_secret")
        assert session.user_id == "DK0001" and session.access_token.startswith("at")
        assert session.access_token not in repr(session)
        assert fresh.profile()["user_id"] == "DK0001"  # the client now uses the new token
        with pytest.raises(BrokerAuthError):
            fresh.generate_session("req-token-2", "wrong-secret")
        with pytest.raises(BrokerAuthError, match="expired"):
            fresh.generate_session("req-token-1", "fake_api_secret")  # single use
    finally:
        fresh.close()


def test_http_control_api(broker: KiteBroker, fake_kite: RunningFakeKite) -> None:
    import requests

    def post(path: str, body: Any) -> None:
        resp = requests.post(fake_kite.url + path, json=body, timeout=5)
        assert resp.json() == {"status": "success", "data": resp.json()["data"]}

    post("/_fake/ltp", {"NSE:INFY": "1510.5"})
    assert broker.ltp(["NSE:INFY"])["NSE:INFY"] == Decimal("1510.5")
    post("/_fake/reject", {"symbols": ["TCS"]})
    rejected = broker.place_order(intent(tradingsymbol="TCS"))
    assert broker.order_history(rejected)[-1].status is OrderStatus.REJECTED
    post("/_fake/faults", [{"kind": "error", "path": "/trades", "status": 429}])
    with pytest.raises(BrokerRateLimitedError):
        broker.trades()
    post("/_fake/expire_tokens", {})
    with pytest.raises(BrokerAuthError):
        broker.positions()
    log = requests.get(fake_kite.url + "/_fake/requests", timeout=5).json()["data"]
    assert [r["status"] for r in log][-2:] == [429, 403]


def test_kite_broker_satisfies_the_port(broker: KiteBroker) -> None:
    from desk.services.ports.broker import Broker

    port: Broker = broker  # checked by mypy --strict
    assert port.ltp(["NSE:INFY"])


def test_market_data_port_over_the_broker(broker: KiteBroker) -> None:
    import asyncio

    from desk.adapters.kite.market_data import BrokerMarketData
    from desk.services.ports.market_data import MarketData

    market: MarketData = BrokerMarketData(broker)
    broker.place_order(intent("md1"))

    async def run() -> None:
        assert await market.ltp(["NSE:INFY"]) == {"NSE:INFY": Decimal("1500")}
        quote = (await market.quote(["NSE:INFY"]))["NSE:INFY"]
        assert quote["ohlc"]["close"] == Decimal("1500") and quote["volume"] == 1000
        assert "ohlc" in (await market.ohlc(["NSE:TCS"]))["NSE:TCS"]
        assert [p["tradingsymbol"] for p in await market.positions()] == ["INFY"]

    asyncio.run(run())
