from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desk.domain.clock import IST
from desk.domain.instruments import Instrument, index_instruments, parse_instruments_csv
from desk.domain.orders import TradeProposal, parse_proposal
from desk.domain.risk import RiskContext

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kite"
#: A Monday, mid-session (2026-01-05 11:00 IST).
OPEN_NOW = datetime(2026, 1, 5, 11, 0, tzinfo=IST)


@pytest.fixture(scope="session")
def instruments() -> dict[str, Instrument]:
    text = (FIXTURES / "instruments.csv").read_text(encoding="utf-8")
    return index_instruments(parse_instruments_csv(text))


@pytest.fixture
def proposal() -> Callable[..., TradeProposal]:
    def make(**over: Any) -> TradeProposal:
        data: dict[str, Any] = {
            "exchange": "NSE",
            "tradingsymbol": "INFY",
            "transaction_type": "BUY",
            "quantity": 10,
            "order_type": "LIMIT",
            "product": "CNC",
            "price": "1500.00",
            "rationale": "test",
            "evidence": ["https://example.com/a"],
        }
        data.update(over)
        return parse_proposal({k: v for k, v in data.items() if v is not None})

    return make


@pytest.fixture
def context(instruments: dict[str, Instrument]) -> Callable[..., RiskContext]:
    def make(key: str = "NSE:INFY", **over: Any) -> RiskContext:
        base: dict[str, Any] = {
            "now": OPEN_NOW,
            "instrument": instruments.get(key),
            "ltp": Decimal("1500"),
            "known_symbols": tuple(i.tradingsymbol for i in instruments.values()),
        }
        base.update(over)
        return RiskContext(**base)

    return make
