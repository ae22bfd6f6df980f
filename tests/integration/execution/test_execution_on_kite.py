"""Exactly-once execution through the real ``kiteconnect`` client against the fake Kite."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from desk.adapters.kite import KiteBroker
from desk.adapters.kite.fake_server import Fault, RunningFakeKite
from desk.adapters.paper import InMemoryExecutionRepository
from desk.domain.clock import FixedClock
from desk.domain.execution import ExecutionState, RequestOutcome, derive_tag, execution_key
from desk.domain.orders import OrderStatus
from desk.domain.postbacks import PostbackChecksumError
from desk.services.execution import ExecutionAction, execute_approved
from desk.services.order_tracking import PostbackAction, apply_postback, track_order
from tests.integration.execution.conftest import API_SECRET
from tests.unit.execution.support import (
    T0,
    execute_with_crashes,
    make_executor,
    order,
    orders_with_tag,
)

A = ExecutionAction
ITERATIONS = 30


def tag_of(request_id: str) -> str:
    return derive_tag(execution_key(request_id))


def test_crash_at_random_points_leaves_exactly_one_kite_order(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    broker = make_kite()
    rng = random.Random(42)
    kills: Counter[str] = Counter()
    for i in range(ITERATIONS):
        fake_kite.reset()
        repo = InMemoryExecutionRepository()
        request_id = f"kite-{i}"
        run = execute_with_crashes(broker, repo, request_id, order(), rng)
        kills.update(run.kill_points)
        placed = orders_with_tag(broker, tag_of(request_id))
        assert len(placed) == 1, (i, run.kill_points)
        assert len(fake_kite.fake.placed_requests()) == 1, (i, run.kill_points)
        final = track_order(make_executor(broker, repo), request_id, max_polls=2)
        assert final.intent.order_id == placed[0].order_id
        assert final.intent.broker_status is OrderStatus.COMPLETE
    assert len(kills) >= 4  # most kill points were hit at least once


def test_an_approved_request_becomes_one_final_kite_order(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    ex = make_executor(make_kite())
    placed = execute_approved(ex, "req-1", order())
    assert placed.action is A.PLACED
    done = track_order(ex, "req-1", max_polls=3)
    assert done.intent.state is ExecutionState.FINAL
    assert done.intent.outcome is RequestOutcome.EXECUTED
    stored = fake_kite.state.orders[done.intent.order_id or ""]
    assert stored.params["tag"] == tag_of("req-1") and stored.params["market_protection"] == "-1"


def test_server_error_after_placement_is_adopted_not_replaced(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    fake_kite.fake.add_fault(Fault("error", path="/orders/", method="POST", status=500, after=True))
    result = execute_approved(make_executor(make_kite()), "req-5xx", order())
    assert result.action is A.ADOPTED and result.intent.state is ExecutionState.FINAL
    assert len(fake_kite.fake.placed_requests()) == 1


def test_rate_limited_429_is_retried_and_placed_once(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    fake_kite.fake.add_fault(
        Fault("error", path="/orders/", method="POST", status=429, error_type="NetworkException")
    )
    result = execute_approved(make_executor(make_kite()), "req-429", order())
    assert result.action is A.PLACED and result.intent.attempts == 2
    assert len(orders_with_tag(make_kite(), tag_of("req-429"))) == 1


def test_timed_out_request_that_never_landed_is_placed_once_after_the_takeover_delay(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    """The client times out while the fake stalls (and the fake then drops the request).
    The executor must not re-place while the request may still be in flight; once the
    takeover delay has passed and the book still has no such order, it places it once."""
    broker = make_kite(timeout_seconds=0.2)
    fake_kite.fake.add_fault(Fault("delay", path="/orders/", method="POST", delay_seconds=0.4))
    clock = FixedClock(T0)
    ex = make_executor(broker, clock=clock)
    first = execute_approved(ex, "req-slow", order())
    assert first.action is A.UNKNOWN and first.intent.state is ExecutionState.UNKNOWN_OUTCOME
    assert execute_approved(ex, "req-slow", order()).action is A.UNKNOWN  # still too early
    time.sleep(0.5)  # the stalled request is over
    clock.advance(timedelta(seconds=31))
    later = execute_approved(ex, "req-slow", order())
    assert later.action is A.PLACED and later.intent.attempts == 2
    assert len(orders_with_tag(broker, tag_of("req-slow"))) == 1


def test_rejection_by_kite_rms_fails_the_request(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    ex = make_executor(make_kite())
    execute_approved(ex, "req-big", order(quantity=600))
    done = track_order(ex, "req-big", max_polls=2)
    assert done.intent.broker_status is OrderStatus.REJECTED
    assert done.intent.outcome is RequestOutcome.FAILED and done.intent.status_message


def test_eight_concurrent_executors_one_kite_order(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    broker = make_kite()
    repo = InMemoryExecutionRepository()
    barrier = threading.Barrier(8)
    actions: list[ExecutionAction] = []

    def run() -> None:
        ex = make_executor(broker, repo)
        barrier.wait()
        actions.append(execute_approved(ex, "req-race", order()).action)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake_kite.fake.placed_requests()) == 1
    assert actions.count(A.PLACED) == 1 and len(actions) == 8


def test_fake_kite_postbacks_verify_and_apply_once(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    ex = make_executor(make_kite())
    order_id = execute_approved(ex, "req-pb", order()).intent.order_id or ""
    body = fake_kite.state.postback_payload(order_id)  # the real postback shape
    assert apply_postback(ex, body, API_SECRET).action is PostbackAction.APPLIED
    assert apply_postback(ex, body, API_SECRET).action is PostbackAction.DUPLICATE
    intent = ex.repo.get_by_request("req-pb")
    assert intent is not None and intent.state is ExecutionState.FINAL
    forged = fake_kite.state.postback_payload(order_id, api_secret="not-the-secret")
    with pytest.raises(PostbackChecksumError):
        apply_postback(ex, forged, API_SECRET)
