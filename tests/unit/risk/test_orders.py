from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from desk.domain.errors import ValidationError
from desk.domain.orders import (
    OrderStatus,
    OrderType,
    Product,
    TransactionType,
    Validity,
    Variety,
    parse_proposal,
)

GOOD: dict[str, Any] = {
    "exchange": "nse",
    "tradingsymbol": "infy",
    "transaction_type": "buy",
    "quantity": 5,
    "order_type": "LIMIT",
    "product": "CNC",
    "price": 1500.5,
    "rationale": "Earnings beat",
    "evidence": ["https://example.com/a", "https://example.com/a", "http://b.example/x"],
}


def fields_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        parse_proposal(data)
    return err.value.fields


def test_good_proposal_is_normalised() -> None:
    p = parse_proposal(GOOD)
    assert (p.exchange, p.tradingsymbol, p.instrument_key) == ("NSE", "INFY", "NSE:INFY")
    assert p.transaction_type is TransactionType.BUY
    assert p.order_type is OrderType.LIMIT and p.product is Product.CNC
    assert p.price == Decimal("1500.5") and p.trigger_price is None
    assert p.validity is Validity.DAY and p.variety is Variety.REGULAR
    assert p.evidence == ("https://example.com/a", "http://b.example/x")


def test_every_bad_field_is_reported_at_once() -> None:
    errors = fields_of(
        {
            "exchange": "NYSE",
            "tradingsymbol": "",
            "transaction_type": "HOLD",
            "quantity": -1,
            "order_type": "LIMIT",
            "product": "MTF",
            "validity": "GTC",
            "variety": "iceberg",
            "rationale": " ",
            "evidence": ["ftp://x"],
        }
    )
    assert set(errors) == {
        "exchange",
        "tradingsymbol",
        "transaction_type",
        "quantity",
        "product",
        "validity",
        "variety",
        "rationale",
        "evidence",
        "price",
    }


@pytest.mark.parametrize(
    ("over", "field", "needle"),
    [
        ({"order_type": "LIMIT", "price": None}, "price", "required"),
        ({"order_type": "SL", "price": "100", "trigger_price": None}, "trigger_price", "required"),
        ({"order_type": "SL-M", "price": None, "trigger_price": None}, "trigger_price", "required"),
        ({"order_type": "MARKET", "price": "100"}, "price", "not allowed"),
        ({"order_type": "LIMIT", "trigger_price": "99"}, "trigger_price", "not allowed"),
        ({"order_type": "SL", "price": "100", "trigger_price": "101"}, "trigger_price", "BUY"),
        ({"price": "abc"}, "price", "not a number"),
        ({"price": "-5"}, "price", "positive"),
        ({"price": True}, "price", "boolean"),
        ({"quantity": True}, "quantity", "required"),
        ({"quantity": 2.5}, "quantity", "whole"),
        ({"evidence": "https://x.example"}, "evidence", "list"),
    ],
)
def test_field_rules(over: dict[str, Any], field: str, needle: str) -> None:
    data = {**GOOD, **over}
    data = {k: v for k, v in data.items() if v is not None}
    errors = fields_of(data)
    assert needle in errors[field]


def test_sell_stop_loss_trigger_must_not_be_below_price() -> None:
    data = {**GOOD, "transaction_type": "SELL", "order_type": "SL", "price": "100"}
    assert "SELL" in fields_of({**data, "trigger_price": "99"})["trigger_price"]
    ok = parse_proposal({**data, "trigger_price": "101"})
    assert ok.trigger_price == Decimal("101")


def test_sl_m_and_market_shapes() -> None:
    slm = parse_proposal({**GOOD, "order_type": "SL-M", "price": None, "trigger_price": "1490"})
    assert slm.price is None and slm.order_type.is_market and slm.order_type.needs_trigger
    mkt = parse_proposal({**GOOD, "order_type": "MARKET", "price": None, "variety": "amo"})
    assert mkt.variety is Variety.AMO and mkt.order_type.is_market


def test_order_status_vocabulary() -> None:
    assert OrderStatus.parse("TRIGGER PENDING") is OrderStatus.TRIGGER_PENDING
    assert OrderStatus.parse("complete") is OrderStatus.COMPLETE
    assert OrderStatus.parse("SOMETHING NEW") is OrderStatus.UNKNOWN
    finals = {s for s in OrderStatus if s.is_final}
    assert finals == {OrderStatus.COMPLETE, OrderStatus.CANCELLED, OrderStatus.REJECTED}
