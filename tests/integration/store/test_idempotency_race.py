"""Two concurrent first uses of one Idempotency-Key: one effect, both get it (both stores)."""

from __future__ import annotations

import threading

from desk.bootstrap import Runtime
from desk.services import agents
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
