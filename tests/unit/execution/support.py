"""Shared helpers for the execution tests: paper brokers, executors, simulated crashes."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from desk.adapters.paper import (
    InMemoryExecutionRepository,
    InMemoryPaperLedger,
    ManualPriceSource,
    PaperBroker,
)
from desk.domain.broker import BrokerError, BrokerOrder, OrderIntent, Positions
from desk.domain.clock import FixedClock, SequentialIdGen
from desk.domain.execution import ExecutionIntent
from desk.domain.instruments import Instrument, index_instruments, parse_instruments_csv
from desk.domain.orders import OrderType, Product, TransactionType
from desk.services.execution import (
    Checkpoint,
    ExecutionPolicy,
    ExecutionResult,
    ExecutionStep,
    Executor,
    execute_approved,
    recover_pending,
)
from desk.services.ports.broker import Broker
from desk.services.ports.execution import ExecutionRepository

REPO_ROOT = Path(__file__).resolve().parents[3]
INSTRUMENTS_CSV = REPO_ROOT / "tests" / "fixtures" / "kite" / "instruments.csv"
T0 = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)  # 10:30 IST, a Monday
_EXECUTORS = itertools.count(1)
FAST = ExecutionPolicy(backoff_seconds=0.0, backoff_max_seconds=0.0, poll_interval_seconds=0.0)


def instruments() -> dict[str, Instrument]:
    return index_instruments(parse_instruments_csv(INSTRUMENTS_CSV.read_text("utf-8")))


def base_prices(insts: Mapping[str, Instrument]) -> dict[str, Decimal]:
    return {k: i.last_price for k, i in insts.items() if i.last_price > 0}


@dataclass
class PaperSetup:
    broker: PaperBroker
    prices: ManualPriceSource
    ledger: InMemoryPaperLedger
    clock: FixedClock

    def set_ltp(self, key: str, price: Decimal) -> None:
        self.prices.set(key, price)
        self.broker.tick()


def paper_setup(cash_paise: int = 50_000_000, seed: str = "paper") -> PaperSetup:
    insts = instruments()
    prices = ManualPriceSource(base_prices(insts))
    ledger = InMemoryPaperLedger(cash_paise)
    clock = FixedClock(T0)
    broker = PaperBroker(prices, ledger, clock, SequentialIdGen(seed), instruments=insts)
    return PaperSetup(broker, prices, ledger, clock)


def order(tag: str = "placeholder", **over: Any) -> OrderIntent:
    fields: dict[str, Any] = {
        "tag": tag,
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "transaction_type": TransactionType.BUY,
        "quantity": 2,
        "order_type": OrderType.MARKET,
        "product": Product.MIS,
    }
    fields.update(over)
    return OrderIntent(**fields)


def make_executor(
    broker: Broker,
    repo: ExecutionRepository | None = None,
    *,
    clock: FixedClock | None = None,
    checkpoint: Checkpoint | None = None,
    policy: ExecutionPolicy = FAST,
    seed: str | None = None,
) -> Executor:
    return Executor(
        broker=broker,
        repo=repo or InMemoryExecutionRepository(),
        clock=clock or FixedClock(T0),
        ids=SequentialIdGen(seed or f"ex{next(_EXECUTORS)}"),
        policy=policy,
        sleep=lambda _s: None,
        checkpoint=checkpoint,
    )


def orders_with_tag(broker: Broker, tag: str) -> list[BrokerOrder]:
    return [o for o in broker.orders() if o.tag == tag]


# --- crashes -------------------------------------------------------------------------------


class SimulatedCrash(BaseException):
    """The process dies here (BaseException: no ``except Exception`` can swallow it)."""


BROKER_AFTER_PLACE = "broker_after_place"  # the broker placed it; the response is lost
KILL_POINTS: tuple[str | None, ...] = (*(s.value for s in ExecutionStep), BROKER_AFTER_PLACE)


def crash_at(point: str | None) -> Checkpoint | None:
    """A checkpoint hook that dies the first time the executor reaches ``point``."""
    if point is None or point == BROKER_AFTER_PLACE:
        return None
    armed = [True]

    def hook(step: ExecutionStep, intent: ExecutionIntent) -> None:
        if armed[0] and step.value == point:
            armed[0] = False
            raise SimulatedCrash(point)

    return hook


class CrashyBroker:
    """Wraps a broker; ``place_order`` places through it, then dies before returning."""

    def __init__(self, inner: Broker, *, crash_after_place: bool) -> None:
        self._inner = inner
        self._armed = crash_after_place

    def place_order(self, intent: OrderIntent) -> str:
        order_id = self._inner.place_order(intent)
        if self._armed:
            self._armed = False
            raise SimulatedCrash(BROKER_AFTER_PLACE)
        return order_id

    def orders(self) -> Sequence[BrokerOrder]:
        return self._inner.orders()

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        return self._inner.order_history(order_id)

    def positions(self) -> Positions:
        return self._inner.positions()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class CrashRun:
    result: ExecutionResult
    crashes: int
    kill_points: list[str] = field(default_factory=list)


def execute_with_kills(
    broker: Broker,
    repo: ExecutionRepository,
    request_id: str,
    intent: OrderIntent,
    kills: Sequence[str | None],
    *,
    clock: FixedClock | None = None,
) -> CrashRun:
    """Run ``execute_approved``, dying at ``kills[0]``; each restart (a new executor on the
    same repo and broker: ``recover_pending`` then ``execute_approved``) dies at the next
    kill point, and the run after the last one completes."""
    run = CrashRun(result=None, crashes=0)  # type: ignore[arg-type]
    for attempt, point in enumerate([*kills, None]):
        crashy = CrashyBroker(broker, crash_after_place=point == BROKER_AFTER_PLACE)
        ex = make_executor(crashy, repo, clock=clock, checkpoint=crash_at(point))
        try:
            if attempt > 0:
                recover_pending(ex)
            run.result = execute_approved(ex, request_id, intent)
            return run
        except SimulatedCrash as crash:
            run.crashes += 1
            run.kill_points.append(str(crash))
    raise AssertionError("unreachable: the last run never crashes")


def execute_with_crashes(
    broker: Broker,
    repo: ExecutionRepository,
    request_id: str,
    intent: OrderIntent,
    rng: random.Random,
    *,
    clock: FixedClock | None = None,
    again_probability: float = 0.35,
    max_restarts: int = 8,
) -> CrashRun:
    """A crash at a random kill point, then restarts that crash again with
    ``again_probability`` (at a random point, possibly one the executor never reaches)."""
    kills: list[str | None] = [rng.choice(KILL_POINTS)]
    while len(kills) < max_restarts and rng.random() < again_probability:
        kills.append(rng.choice(KILL_POINTS))
    return execute_with_kills(broker, repo, request_id, intent, kills, clock=clock)


# --- broker faults (unit level) ------------------------------------------------------------


class FlakyBroker:
    """Wraps a broker; ``place_order`` raises the queued errors first. ``effect_first``
    marks errors raised *after* the inner broker placed the order (response lost)."""

    def __init__(self, inner: Broker) -> None:
        self._inner = inner
        self.queue: list[tuple[BrokerError, str]] = []
        self.in_flight: list[OrderIntent] = []
        self.place_calls = 0
        self._lock = threading.Lock()

    def fail_next(
        self, error: BrokerError, *, effect_first: bool = False, effect_later: bool = False
    ) -> None:
        """``effect_later``: the request is stuck in flight; :meth:`land` delivers it."""
        self.queue.append((error, "first" if effect_first else "later" if effect_later else ""))

    def land(self) -> None:
        while self.in_flight:
            self._inner.place_order(self.in_flight.pop(0))

    def place_order(self, intent: OrderIntent) -> str:
        with self._lock:
            self.place_calls += 1
            pending = self.queue.pop(0) if self.queue else None
        if pending is None:
            return self._inner.place_order(intent)
        error, effect = pending
        if effect == "first":
            self._inner.place_order(intent)
        elif effect == "later":
            self.in_flight.append(intent)
        raise error

    def orders(self) -> Sequence[BrokerOrder]:
        return self._inner.orders()

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        return self._inner.order_history(order_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
