from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from desk.adapters.telegram.messages import (
    MAX_MESSAGE_CHARS,
    ist,
    pending_texts,
    price_text,
    request_text,
    rupees,
)
from desk.domain.telegram import RequestSummary


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (0, "₹0.00"),
        (5, "₹0.05"),
        (99_999, "₹999.99"),
        (100_000, "₹1,000.00"),
        (12_345_678, "₹1,23,456.78"),
        (1_234_567_890_12, "₹1,23,45,67,890.12"),
        (-150_000, "-₹1,500.00"),
    ],
)
def test_rupees_use_indian_grouping(paise: int, text: str) -> None:
    assert rupees(paise) == text


def test_price_rounds_half_up_to_the_paisa() -> None:
    assert price_text(Decimal("1520.505")) == "₹1,520.51"
    assert price_text(Decimal("0.004")) == "₹0.00"


def test_ist() -> None:
    assert ist(datetime(2026, 11, 25, 4, 0, tzinfo=UTC)) == "25 Nov 2026, 09:30 IST"


def summary(i: int, **kw: object) -> RequestSummary:
    fields: dict[str, object] = dict(
        id=f"{i:032x}",
        agent_name="a" * 60,
        kind="trade",
        instrument="NSE:RELIANCE",
        side="sell",
        quantity=1000,
        price=Decimal("2999.95"),
        value_paise=299_995_000,
        rationale_summary="r" * 2000,
        risk_summary="<ok>",
        quorum_progress="1 of 3",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_at=datetime(2026, 1, 1, 1, tzinfo=UTC),
    )
    fields.update(kw)
    return RequestSummary(**fields)  # type: ignore[arg-type]


def test_request_text_escapes_and_clips() -> None:
    text = request_text(summary(1, agent_name="<b>x</b>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "&lt;ok&gt;" in text
    assert "SELL 1000 × NSE:RELIANCE @ ₹2,999.95" in text and "Value: ₹29,99,950.00" in text
    assert len(text) < 1500


def test_config_promotions_and_market_orders() -> None:
    promo = request_text(
        summary(
            2,
            kind="config_promotion",
            instrument=None,
            side=None,
            quantity=None,
            price=None,
            value_paise=None,
        )
    )
    assert "config promotion" in promo and "Value" not in promo
    assert "at market" in request_text(summary(3, price=None))


def test_pending_list_is_split_under_the_limit() -> None:
    chunks = pending_texts([summary(i) for i in range(50)], 50)
    assert len(chunks) > 1 and all(len(c) <= MAX_MESSAGE_CHARS for c in chunks)
    assert sum(c.count("<code>") for c in chunks) == 50
    assert pending_texts([], 10) == ["Nothing is waiting for your decision."]
