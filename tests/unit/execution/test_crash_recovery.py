"""Kill the executor at random points, restart, and show exactly one order each time."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from desk.adapters.paper import InMemoryExecutionRepository
from desk.domain.execution import ExecutionState, derive_tag, execution_key
from desk.domain.orders import OrderStatus, OrderType
from desk.services.order_tracking import track_order
from tests.unit.execution.support import (
    KILL_POINTS,
    execute_with_crashes,
    execute_with_kills,
    make_executor,
    order,
    orders_with_tag,
    paper_setup,
)

ITERATIONS = 200


def test_exactly_one_order_per_request_whatever_the_kill_point() -> None:
    rng = random.Random(20260105)
    seen: Counter[str] = Counter()
    for i in range(ITERATIONS):
        setup = paper_setup(seed=f"p{i}")
        repo = InMemoryExecutionRepository()
        request_id = f"req-{i}"
        run = execute_with_crashes(setup.broker, repo, request_id, order(), rng)
        seen.update(run.kill_points)
        tag = derive_tag(execution_key(request_id))
        placed = orders_with_tag(setup.broker, tag)
        assert len(placed) == 1, (i, run.kill_points)
        assert len(setup.broker.orders()) == 1
        intent = run.result.intent
        assert intent.order_id == placed[0].order_id, (i, run.kill_points, intent)
        final = track_order(make_executor(setup.broker, repo), request_id, max_polls=2)
        assert final.intent.state is ExecutionState.FINAL
        assert final.intent.broker_status is OrderStatus.COMPLETE
        assert repo.list_non_final() == []
    # every kill point was exercised, several times
    assert set(seen) == {p for p in KILL_POINTS if p is not None}
    assert min(seen.values()) >= 10


def test_many_requests_on_one_broker_each_get_one_order() -> None:
    """Same broker and repo for all requests: crashes of one never leak into another."""
    rng = random.Random(7)
    setup = paper_setup()
    repo = InMemoryExecutionRepository()
    for i in range(60):
        execute_with_crashes(setup.broker, repo, f"r{i}", order(), rng)
    tags = Counter(o.tag for o in setup.broker.orders())
    assert len(tags) == 60 and set(tags.values()) == {1}


@settings(max_examples=150, deadline=None)
@given(
    kills=st.lists(st.sampled_from([p for p in KILL_POINTS if p is not None]), max_size=5),
    resting=st.booleans(),
)
def test_any_sequence_of_crashes_and_restarts_gives_one_order(
    kills: list[str], resting: bool
) -> None:
    setup = paper_setup()
    repo = InMemoryExecutionRepository()
    intent = order(order_type=OrderType.LIMIT, price=Decimal("1400.0")) if resting else order()
    run = execute_with_kills(setup.broker, repo, "req", intent, kills)
    (placed,) = setup.broker.orders()
    assert placed.tag == derive_tag(execution_key("req"))
    assert run.result.intent.order_id == placed.order_id
    expected = OrderStatus.OPEN if resting else OrderStatus.COMPLETE
    assert placed.status is expected
    # and a later restart changes nothing
    again = execute_with_kills(setup.broker, repo, "req", intent, [])
    assert again.result.intent.order_id == placed.order_id
    assert len(setup.broker.orders()) == 1
