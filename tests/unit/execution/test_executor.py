from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

import pytest

from desk.adapters.paper import InMemoryExecutionRepository
from desk.domain.broker import (
    BrokerAuthError,
    BrokerOrder,
    BrokerRateLimitedError,
    BrokerRejectedError,
    BrokerUnavailableError,
    OrderIntent,
)
from desk.domain.clock import FixedClock
from desk.domain.errors import NotFoundError
from desk.domain.execution import ExecutionState, RequestOutcome, derive_tag, execution_key
from desk.domain.orders import OrderStatus, OrderType, Product
from desk.services.execution import (
    ExecutionAction,
    ExecutionConflictError,
    ExecutionResult,
    execute_approved,
    recover_pending,
)
from desk.services.order_tracking import track_order
from desk.services.ports.broker import Broker
from desk.services.ports.execution import ExecutionRepository
from tests.unit.execution.support import (
    T0,
    CrashyBroker,
    FlakyBroker,
    SimulatedCrash,
    crash_at,
    make_executor,
    order,
    orders_with_tag,
    paper_setup,
)

S = ExecutionState
A = ExecutionAction
TAG = derive_tag(execution_key("req-1"))


def test_places_once_with_the_derived_tag_and_replays_return_the_first_result() -> None:
    broker = paper_setup().broker
    ex = make_executor(broker)
    first = execute_approved(ex, "req-1", order("whatever"))
    assert first.action is A.PLACED and first.placed
    assert first.intent.state is S.SUBMITTED and first.intent.attempts == 1
    (placed,) = orders_with_tag(broker, TAG)
    assert first.intent.order_id == placed.order_id
    again = execute_approved(make_executor(broker, ex.repo), "req-1", order("whatever"))
    assert again.action is A.EXISTING and again.intent.order_id == placed.order_id
    assert len(broker.orders()) == 1


def test_a_different_order_for_the_same_request_is_refused() -> None:
    ex = make_executor(paper_setup().broker)
    execute_approved(ex, "req-1", order())
    with pytest.raises(ExecutionConflictError) as err:
        execute_approved(ex, "req-1", order(quantity=3))
    assert err.value.fields == {"order": "differs from the order of the first execution"}


def test_an_order_already_in_the_book_is_adopted_never_placed_again() -> None:
    """A previous executor stored the intent and placed the order, then died before saving
    the order id: the next one reads the book, finds the tag and adopts the order."""
    broker = paper_setup().broker
    repo = InMemoryExecutionRepository()
    with pytest.raises(SimulatedCrash):
        execute_approved(
            make_executor(CrashyBroker(broker, crash_after_place=True), repo), "req-1", order()
        )
    later = FixedClock(T0 + timedelta(minutes=5))  # the dead executor's claim has aged
    result = execute_approved(make_executor(broker, repo, clock=later), "req-1", order())
    assert result.action is A.ADOPTED and result.intent.state is S.FINAL
    assert result.intent.outcome is RequestOutcome.EXECUTED
    assert len(orders_with_tag(broker, TAG)) == 1


class BookReads:
    """Counts order-book reads (the reconcile-by-tag round trip)."""

    def __init__(self, inner: Broker) -> None:
        self._inner = inner
        self.reads = 0

    def orders(self) -> Sequence[BrokerOrder]:
        self.reads += 1
        return self._inner.orders()

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_a_fresh_intent_is_placed_without_reading_the_book_a_replay_reads_it() -> None:
    broker = paper_setup().broker
    counting = BookReads(broker)
    repo = InMemoryExecutionRepository()
    first = execute_approved(make_executor(counting, repo), "req-1", order())  # type: ignore[arg-type]
    assert first.action is A.PLACED and first.intent.attempts == 1
    assert counting.reads == 0  # created by this call: it cannot be at the broker yet
    stored = repo.get(first.intent.id)
    assert stored is not None and stored.state is S.SUBMITTED
    # A crash before the order id was saved leaves a claimed intent: that one is reconciled.
    claimed = InMemoryExecutionRepository()
    with pytest.raises(SimulatedCrash):
        execute_approved(
            make_executor(counting, claimed, checkpoint=crash_at("claimed")),  # type: ignore[arg-type]
            "req-2",
            order(),
        )
    recover_pending(make_executor(counting, claimed))  # type: ignore[arg-type]
    assert counting.reads >= 1  # the book was read before placing it again
    assert len(orders_with_tag(broker, derive_tag(execution_key("req-2")))) == 1


def test_retry_safe_errors_are_retried_with_backoff_then_placed() -> None:
    flaky = FlakyBroker(paper_setup().broker)
    flaky.fail_next(BrokerRateLimitedError("429", retry_safe=True))
    flaky.fail_next(BrokerUnavailableError("refused", retry_safe=True))
    sleeps: list[float] = []
    ex = make_executor(flaky)
    ex = type(ex)(**{**ex.__dict__, "sleep": sleeps.append})
    result = execute_approved(ex, "req-1", order())
    assert result.action is A.PLACED and result.intent.attempts == 3
    assert flaky.place_calls == 3 and len(sleeps) == 2
    assert len(orders_with_tag(flaky, TAG)) == 1


def test_retry_safe_errors_stop_after_max_attempts_and_fail_the_request() -> None:
    flaky = FlakyBroker(paper_setup().broker)
    for _ in range(5):
        flaky.fail_next(BrokerRateLimitedError("429", retry_safe=True))
    result = execute_approved(make_executor(flaky), "req-1", order())
    assert result.action is A.FAILED and result.intent.state is S.FAILED
    assert flaky.place_calls == 3 and "broker_rate_limited" in (result.intent.last_error or "")
    assert result.intent.outcome is RequestOutcome.FAILED
    assert flaky.orders() == []


@pytest.mark.parametrize(
    "error",
    [BrokerRejectedError("Kite rejected the order: margin"), BrokerAuthError("token expired")],
)
def test_definitive_errors_fail_at_once(error: Exception) -> None:
    flaky = FlakyBroker(paper_setup().broker)
    flaky.fail_next(error)  # type: ignore[arg-type]
    result = execute_approved(make_executor(flaky), "req-1", order())
    assert result.action is A.FAILED and flaky.place_calls == 1
    assert result.intent.last_error and error.code in result.intent.last_error  # type: ignore[attr-defined]


def test_unknown_outcome_with_the_order_placed_is_reconciled_not_retried() -> None:
    flaky = FlakyBroker(paper_setup().broker)
    flaky.fail_next(BrokerUnavailableError("read timeout", outcome_unknown=True), effect_first=True)
    result = execute_approved(make_executor(flaky), "req-1", order())
    assert result.action is A.ADOPTED and result.intent.state is S.FINAL
    assert flaky.place_calls == 1 and len(orders_with_tag(flaky, TAG)) == 1


def test_unknown_outcome_without_an_order_waits_then_recovery_places_once() -> None:
    flaky = FlakyBroker(paper_setup().broker)
    flaky.fail_next(BrokerUnavailableError("502 after send", outcome_unknown=True))
    clock = FixedClock(T0)
    ex = make_executor(flaky, clock=clock)
    result = execute_approved(ex, "req-1", order())
    assert result.action is A.UNKNOWN and result.intent.state is S.UNKNOWN_OUTCOME
    assert flaky.place_calls == 1 and flaky.orders() == []
    # calling again right away must not place: the first request may still be in flight
    assert execute_approved(ex, "req-1", order()).action is A.UNKNOWN
    assert flaky.place_calls == 1
    clock.advance(timedelta(seconds=31))  # past takeover_after: the book still has nothing
    again = execute_approved(ex, "req-1", order())
    assert again.action is A.PLACED and again.intent.attempts == 2
    assert flaky.place_calls == 2 and len(orders_with_tag(flaky, TAG)) == 1


def test_a_request_that_lands_late_is_adopted_never_doubled() -> None:
    flaky = FlakyBroker(paper_setup().broker)
    flaky.fail_next(BrokerUnavailableError("read timeout", outcome_unknown=True), effect_later=True)
    clock = FixedClock(T0)
    ex = make_executor(flaky, clock=clock)
    assert execute_approved(ex, "req-1", order()).action is A.UNKNOWN
    clock.advance(timedelta(seconds=5))
    assert execute_approved(ex, "req-1", order()).action is A.UNKNOWN  # within takeover_after
    flaky.land()  # the stuck request reaches the broker
    clock.advance(timedelta(seconds=30))
    result = execute_approved(ex, "req-1", order())
    assert result.action is A.ADOPTED and flaky.place_calls == 1
    assert len(orders_with_tag(flaky, TAG)) == 1


def test_old_intents_are_never_placed_from_an_empty_book() -> None:
    broker = paper_setup().broker
    repo = InMemoryExecutionRepository()
    clock = FixedClock(T0)
    with pytest.raises(_Died):
        execute_approved(make_executor(broker, repo, checkpoint=_die_at("claimed")), "a", order())
    with pytest.raises(_Died):
        execute_approved(
            make_executor(broker, repo, checkpoint=_die_at("intent_saved")), "b", order()
        )
    clock.advance(timedelta(hours=7))  # e.g. the process was down overnight
    results = {
        r.intent.request_id: r for r in recover_pending(make_executor(broker, repo, clock=clock))
    }
    assert results["a"].action is A.UNKNOWN and results["a"].intent.state is S.UNKNOWN_OUTCOME
    assert "by hand" in (results["a"].intent.last_error or "")
    assert results["b"].action is A.FAILED and results["b"].intent.state is S.FAILED
    assert broker.orders() == []


def test_recover_pending_reconciles_every_non_final_intent() -> None:
    setup = paper_setup()
    broker = setup.broker
    repo = InMemoryExecutionRepository()
    ex = make_executor(broker, repo)
    # a resting limit order (submitted), then a request whose order exists but is unrecorded
    execute_approved(ex, "rest", order(order_type=OrderType.LIMIT, price=Decimal("1400.0")))
    crashed = make_executor(broker, repo, checkpoint=_die_at("order_placed"))
    with pytest.raises(_Died):
        execute_approved(crashed, "lost", order())
    assert repo.get_by_request("lost").state is S.PLACING  # type: ignore[union-attr]
    results = {r.intent.request_id: r for r in recover_pending(make_executor(broker, repo))}
    assert results["lost"].action is A.ADOPTED and results["lost"].intent.state is S.FINAL
    assert results["rest"].intent.state is S.SUBMITTED
    assert len(broker.orders()) == 2
    setup.set_ltp("NSE:INFY", Decimal("1399.0"))
    recover_pending(make_executor(broker, repo))
    assert repo.list_non_final() == []


def test_recover_without_placing_only_reports() -> None:
    broker = paper_setup().broker
    repo = InMemoryExecutionRepository()
    with pytest.raises(_Died):
        execute_approved(make_executor(broker, repo, checkpoint=_die_at("claimed")), "r", order())
    (result,) = recover_pending(make_executor(broker, repo), place_missing=False)
    assert result.action is A.UNKNOWN and broker.orders() == []


def test_track_order_polls_until_final() -> None:
    setup = paper_setup()
    ex = make_executor(setup.broker)
    execute_approved(ex, "req-1", order(order_type=OrderType.LIMIT, price=Decimal("1490.0")))
    polls = []

    def sleep(_: float) -> None:
        polls.append(1)
        if len(polls) == 3:
            setup.set_ltp("NSE:INFY", Decimal("1480.0"))

    ex = type(ex)(**{**ex.__dict__, "sleep": sleep})
    result = track_order(ex, "req-1", max_polls=10)
    assert result.intent.state is S.FINAL and result.intent.broker_status is OrderStatus.COMPLETE
    assert result.intent.average_price == Decimal("1480.0") and len(polls) == 3
    assert result.intent.outcome is RequestOutcome.EXECUTED
    with pytest.raises(NotFoundError):
        track_order(ex, "nope")


def test_track_order_of_a_rejected_order_fails_the_request() -> None:
    ex = make_executor(paper_setup(cash_paise=100).broker)
    execute_approved(ex, "req-1", order(product=Product.CNC))
    result = track_order(ex, "req-1", max_polls=2)
    assert result.intent.broker_status is OrderStatus.REJECTED
    assert result.intent.outcome is RequestOutcome.FAILED
    assert "Insufficient funds" in (result.intent.status_message or "")


class SlowBroker(FlakyBroker):
    """Widens the race window: placing takes a while."""

    def place_order(self, intent: OrderIntent) -> str:
        time.sleep(0.02)
        return super().place_order(intent)

    def orders(self) -> Sequence[BrokerOrder]:
        time.sleep(0.001)
        return super().orders()


@pytest.mark.parametrize("slow", [False, True])
def test_eight_concurrent_executors_place_one_order(slow: bool) -> None:
    for round_ in range(10):
        paper = paper_setup().broker
        broker = SlowBroker(paper) if slow else paper
        repo = InMemoryExecutionRepository()
        barrier = threading.Barrier(8)
        results: list[ExecutionResult] = []

        def run(i: int, ex_broker: Broker, ex_repo: ExecutionRepository, b: Barrier) -> None:
            ex = make_executor(ex_broker, ex_repo, seed=f"t{i}")
            b.wait()
            results.append(execute_approved(ex, f"req-{round_}", order()))

        threads = [threading.Thread(target=run, args=(i, broker, repo, barrier)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(paper.orders()) == 1, round_
        assert [r.action for r in results].count(A.PLACED) == 1
        assert len(results) == 8
        assert repo.get_by_request(f"req-{round_}").order_id == paper.orders()[0].order_id  # type: ignore[union-attr]


class _Died(BaseException):
    pass


def _die_at(step: str):  # type: ignore[no-untyped-def]
    def hook(reached, intent):  # type: ignore[no-untyped-def]
        if reached.value == step:
            raise _Died(step)

    return hook
