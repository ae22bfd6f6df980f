"""Our own order-rate limiter holds in front of the real client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from desk.adapters.kite import KiteBroker, OrderRateLimits
from desk.adapters.kite.fake_server import RunningFakeKite
from desk.domain.broker import BrokerRateLimitedError
from desk.domain.errors import ConfigurationError

from .conftest import intent


def test_defaults_follow_the_protocol_notes() -> None:
    limits = OrderRateLimits()
    assert (limits.per_second, limits.per_minute, limits.per_day) == (10, 200, 3000)


@pytest.mark.parametrize(
    "kwargs", [{"per_second": 11}, {"per_second": 0}, {"per_minute": 0}, {"max_wait_seconds": -1}]
)
def test_limits_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        OrderRateLimits(**kwargs)  # type: ignore[arg-type]


def test_over_the_limit_is_refused_before_sending(
    make_broker: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    broker = make_broker(rate_limits=OrderRateLimits(per_second=3, max_wait_seconds=0))
    for n in range(3):
        broker.place_order(intent(f"t{n}"))
    with pytest.raises(BrokerRateLimitedError) as err:
        broker.place_order(intent("t3"))
    assert err.value.retry_safe and not err.value.outcome_unknown
    assert len(fake_kite.fake.placed_requests()) == 3
    broker.orders()  # reads are not order calls: never limited here


def test_per_minute_window(
    make_broker: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    limits = OrderRateLimits(per_second=10, per_minute=4, max_wait_seconds=0)
    broker = make_broker(rate_limits=limits)
    for n in range(4):
        broker.place_order(intent(f"m{n}"))
    with pytest.raises(BrokerRateLimitedError):
        broker.cancel_order("anything")  # cancels count against the same budget
    assert len(fake_kite.state.orders) == 4


def test_waiting_spreads_a_burst_over_seconds(
    make_broker: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    broker = make_broker(rate_limits=OrderRateLimits(per_second=5, max_wait_seconds=2))
    started = time.monotonic()
    for n in range(7):
        broker.place_order(intent(f"w{n}"))
    elapsed = time.monotonic() - started
    assert elapsed >= 0.9
    stamps = [r.at for r in fake_kite.fake.placed_requests()]
    assert len(stamps) == 7
    for i, first in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s - first < 0.95]
        assert len(in_window) <= 5


@pytest.mark.parametrize(
    ("second", "minute", "day", "expected"),
    [
        (10, 200, 3000, [(10, 1_000), (200, 60_000), (3000, 86_400_000)]),
        (3, 200, 3000, [(3, 1_000), (3000, 86_400_000)]),
        (10, 4, 3000, [(4, 60_000), (3000, 86_400_000)]),
        (10, 200, 100, [(10, 1_000), (100, 86_400_000)]),
    ],
)
def test_redundant_windows_are_dropped(
    second: int, minute: int, day: int, expected: list[tuple[int, int]]
) -> None:
    from pyrate_limiter import Duration, Rate

    from desk.adapters.kite.rate_limit import binding_rates

    rates = [
        Rate(second, Duration.SECOND),
        Rate(minute, Duration.MINUTE),
        Rate(day, Duration.DAY),
    ]
    assert [(r.limit, r.interval) for r in binding_rates(rates)] == expected


def test_reading_clients_start_no_limiter_thread(make_broker: Callable[..., KiteBroker]) -> None:
    """A limiter runs a thread until closed; quotes and logins make a client per call."""

    def leakers() -> int:
        return sum(t.name == "PyrateLimiter's Leaker" for t in threading.enumerate())

    before = leakers()
    for _ in range(5):
        broker = make_broker()
        assert broker.ltp(["NSE:INFY"])
        broker.close()
    assert leakers() == before


def test_clients_of_one_account_share_its_budget(
    make_broker: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    shared = make_broker(rate_limits=OrderRateLimits(per_second=2, max_wait_seconds=0))
    other = make_broker(limiter=shared.order_limiter)
    shared.place_order(intent("s1"))
    other.place_order(intent("s2"))
    with pytest.raises(BrokerRateLimitedError):
        other.place_order(intent("s3"))
    other.close()  # not its limiter to close
    with pytest.raises(BrokerRateLimitedError):
        shared.place_order(intent("s4"))
    assert len(fake_kite.fake.placed_requests()) == 2
