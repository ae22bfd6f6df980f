from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from desk.adapters.kite import KiteBroker, OrderRateLimits
from desk.adapters.kite.fake_server import RunningFakeKite, run_fake_kite
from desk.domain.broker import OrderIntent
from desk.domain.clock import IST
from desk.domain.orders import OrderType, Product, TransactionType

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kite"
API_KEY, API_SECRET, ACCESS_TOKEN = "fake_api_key", "fake_api_secret", "fake_access_token"
#: A fixed fake-server clock: Monday 2026-01-05 10:30 IST.
FAKE_NOW = datetime(2026, 1, 5, 10, 30, tzinfo=IST)


@pytest.fixture(scope="session")
def fake_kite_server() -> Iterator[RunningFakeKite]:
    with run_fake_kite(FIXTURES, now=lambda: FAKE_NOW, max_quantity=500) as running:
        yield running


@pytest.fixture
def fake_kite(fake_kite_server: RunningFakeKite) -> RunningFakeKite:
    """The shared server with a fresh state, no faults and an empty request log."""
    fake_kite_server.reset()
    return fake_kite_server


@pytest.fixture
def make_broker(fake_kite: RunningFakeKite) -> Iterator[Callable[..., KiteBroker]]:
    made: list[KiteBroker] = []

    def make(**kwargs: Any) -> KiteBroker:
        kwargs.setdefault("root", fake_kite.url)
        kwargs.setdefault("timeout_seconds", 2.0)
        kwargs.setdefault("rate_limits", OrderRateLimits(max_wait_seconds=0.5))
        broker = KiteBroker(API_KEY, kwargs.pop("access_token", ACCESS_TOKEN), **kwargs)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.close()


@pytest.fixture
def broker(make_broker: Callable[..., KiteBroker]) -> KiteBroker:
    return make_broker()


def intent(tag: str = "req0001", **over: Any) -> OrderIntent:
    fields: dict[str, Any] = {
        "tag": tag,
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "transaction_type": TransactionType.BUY,
        "quantity": 2,
        "order_type": OrderType.MARKET,
        "product": Product.CNC,
    }
    fields.update(over)
    return OrderIntent(**fields)
