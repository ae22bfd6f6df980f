"""Two concurrent first uses of one Idempotency-Key: one effect, both get it (both stores)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from desk.bootstrap import Runtime
from desk.domain.clock import FixedClock
from desk.domain.errors import ConflictError
from desk.services import agents
from desk.services.transactions import KEY_LIFETIME, purge_idempotency_keys
from tests.integration.conftest import People, config

RACERS = 4


def test_concurrent_first_uses_of_a_key_make_one_agent(runtime: Runtime, people: People) -> None:
    barrier = threading.Barrier(RACERS)
    ids: list[str] = []
    errors: list[BaseException] = []

    def race() -> None:
        barrier.wait()
        try:
            detail = agents.create_agent(
                runtime, people.owner, name="race", config=config(quorum=1),
                approvers=[people.a1.user_id or ""], idempotency_key="race-1",
            )  # fmt: skip
            ids.append(detail.agent.id)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(ids) == RACERS and len(set(ids)) == 1
    assert [a.name for a in agents.list_agents(runtime, people.owner)] == ["race"]


def test_keys_are_forgotten_after_their_lifetime(
    runtime: Runtime, people: People, clock: FixedClock
) -> None:
    def create(name: str) -> str:
        return agents.create_agent(
            runtime, people.owner, name=name, config=config(quorum=1),
            approvers=[people.a1.user_id or ""], idempotency_key="k-1",
        ).agent.id  # fmt: skip

    first = create("first")
    assert create("first") == first  # replayed
    clock.advance(KEY_LIFETIME - timedelta(minutes=1))
    assert purge_idempotency_keys(runtime) == 0
    with pytest.raises(ConflictError, match="Idempotency-Key"):
        create("second")  # same key, other body: still remembered
    clock.advance(timedelta(minutes=2))
    assert purge_idempotency_keys(runtime) == 1
    assert create("second") != first  # a new key again
    assert sorted(a.name for a in agents.list_agents(runtime, people.owner)) == ["first", "second"]
