"""The fake Kite server (real ``kiteconnect`` over 127.0.0.1) and a paper broker, both
wrapped in one harness so a single contract suite runs against each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from desk.adapters.kite import KiteBroker, OrderRateLimits
from desk.adapters.kite.fake_server import RunningFakeKite, run_fake_kite
from desk.domain.clock import IST
from desk.services.ports.broker import Broker
from tests.unit.execution.support import REPO_ROOT, paper_setup

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "kite"
API_KEY, API_SECRET, ACCESS_TOKEN = "fake_api_key", "fake_api_secret", "fake_access_token"
FAKE_NOW = datetime(2026, 1, 5, 10, 30, tzinfo=IST)
MAX_QUANTITY = 500  # the fake rejects (RMS) larger orders
PAPER_CASH_PAISE = 50_000_000  # ₹5,00,000: a CNC BUY of 600 INFY (₹9,00,000) is rejected
#: Fast limits for tests, still within the exchange's 10 orders/second.
TEST_LIMITS = OrderRateLimits(
    per_second=10, per_minute=100_000, per_day=1_000_000, max_wait_seconds=2.0
)


@pytest.fixture(scope="session")
def fake_kite_server() -> Iterator[RunningFakeKite]:
    with run_fake_kite(FIXTURES, now=lambda: FAKE_NOW, max_quantity=MAX_QUANTITY) as running:
        yield running


@pytest.fixture
def fake_kite(fake_kite_server: RunningFakeKite) -> RunningFakeKite:
    fake_kite_server.reset()
    return fake_kite_server


@pytest.fixture
def make_kite(fake_kite: RunningFakeKite) -> Iterator[Callable[..., KiteBroker]]:
    made: list[KiteBroker] = []

    def make(**kwargs: Any) -> KiteBroker:
        kwargs.setdefault("root", fake_kite.url)
        kwargs.setdefault("timeout_seconds", 2.0)
        kwargs.setdefault("rate_limits", TEST_LIMITS)
        broker = KiteBroker(API_KEY, ACCESS_TOKEN, **kwargs)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.close()


@dataclass
class BrokerHarness:
    name: str
    broker: Broker
    set_ltp: Callable[[str, Decimal], None]


@pytest.fixture(params=["paper", "kite"])
def harness(request: pytest.FixtureRequest) -> BrokerHarness:
    if request.param == "paper":
        setup = paper_setup(cash_paise=PAPER_CASH_PAISE)
        return BrokerHarness("paper", setup.broker, setup.set_ltp)
    fake: RunningFakeKite = request.getfixturevalue("fake_kite")
    broker = request.getfixturevalue("make_kite")()
    return BrokerHarness("kite", broker, fake.state.set_ltp)
