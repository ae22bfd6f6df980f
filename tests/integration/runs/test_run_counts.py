"""Run history counts: the per-(agent, status, IST day) counters and the bounded text count.

The counters are kept by the runs repository in the run's own transaction; they must always
equal a recount from the runs themselves (what migration 0007's backfill computes).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from desk.adapters.store import migrate
from desk.adapters.store.repos import run_history
from desk.adapters.store.tables import run_counts
from desk.bootstrap import Runtime
from desk.domain.clock import FixedClock
from desk.domain.runs import AnalysisRun, RunMode, RunStatus
from desk.services import runs
from tests.integration.conftest import People, make_agent, promote_to_paper


def _counters(rt: Runtime) -> list[tuple[Any, ...]]:
    with rt.db.engine.connect() as conn:
        rows = conn.execute(sa.select(run_counts).where(run_counts.c.n != 0)).all()
    return sorted(tuple(r) for r in rows)


def _recounted(rt: Runtime) -> list[tuple[Any, ...]]:
    with rt.db.engine.begin() as conn:
        run_history.recount(conn)
    return _counters(rt)


def _agent(rt: Runtime, people: People) -> str:
    agent_id = make_agent(rt, people)
    promote_to_paper(rt, people, agent_id)
    return agent_id


def test_counts_follow_every_status_change(
    runtime: Runtime, people: People, clock: FixedClock
) -> None:
    agent_id = _agent(runtime, people)
    ids: list[str] = []
    for day in range(3):  # the tests' clock is 09:30 IST: one run set per IST day
        for n in range(2):
            run = runs.start_run(runtime, None, people.owner, agent_id, query=f"INFY {day}/{n}")  # type: ignore[arg-type]
            ids.append(run.id)
        clock.advance(timedelta(days=1))
    runs.cancel_run(runtime, people.owner, agent_id, ids[0])  # pending → canceled
    runs.cancel_run(runtime, people.owner, agent_id, ids[3])
    incremental = _counters(runtime)
    assert incremental == _recounted(runtime)  # the counters agree with the runs
    assert sum(row[3] for row in incremental) == 6

    def count(**filters: Any) -> tuple[int, bool]:
        found = runs.list_runs(runtime, people.a1, agent_id, **filters)
        return found.count, found.count_exact

    assert count() == (6, True)
    assert count(status="pending") == (4, True)
    assert count(status="canceled,failed") == (2, True)
    assert count(date_from="2026-11-26") == (4, True)
    assert count(date_from="2026-11-26", date_to="2026-11-26", status="canceled") == (1, True)
    assert count(date_to="2026-11-24") == (0, True)
    assert count(q="INFY 1/") == (2, True)  # free text: counted from the runs, under the cap


def test_backfill_counts_the_runs_already_stored(runtime: Runtime, people: People) -> None:
    agent_id = _agent(runtime, people)
    for n in range(3):
        runs.start_run(runtime, None, people.owner, agent_id, query=f"q{n}")  # type: ignore[arg-type]
    before = _counters(runtime)
    migrate.downgrade(runtime.db, "0006")
    migrate.upgrade(runtime.db)
    assert _counters(runtime) == before
    assert runs.list_runs(runtime, people.a1, agent_id).count == 3


def test_free_text_count_stops_at_its_bound_and_says_so(
    runtime: Runtime, people: People, clock: FixedClock
) -> None:
    agent_id = _agent(runtime, people)
    cap = run_history.COUNT_CAP
    template = AnalysisRun(
        id="", agent_id=agent_id, config_version=1, query="", model="fake/analyst-1",
        status=RunStatus.COMPLETED, mode=RunMode.LIVE, replay=None,
        created_by=people.owner.user_id or "", created_at=clock.now(),
    )  # fmt: skip
    with runtime.uow() as uow:
        for n in range(cap + 5):
            at = clock.now() - timedelta(minutes=n)
            uow.runs.add(replace(template, id=f"run{n:028d}", query=f"TCS #{n}", created_at=at))
        uow.commit()

    everything = runs.list_runs(runtime, people.a1, agent_id)
    assert (everything.count, everything.count_exact) == (cap + 5, True)  # from the counters
    text = runs.list_runs(runtime, people.a1, agent_id, q="TCS", page_size=10)
    assert (text.count, text.count_exact) == (cap, False)  # "at least 1,000"
    assert len(text.items) == 10
    narrow = runs.list_runs(runtime, people.a1, agent_id, q="#7")  # 7, 70-79, 700-799
    assert (narrow.count, narrow.count_exact) == (111, True)
    # a page past the cap: the bound grows to one past the page, so "next" stays right
    last = runs.list_runs(runtime, people.a1, agent_id, q="TCS", page=51, page_size=20)
    assert len(last.items) == 5 and last.count == cap + 5 and last.count_exact
    deep = runs.list_runs(runtime, people.a1, agent_id, q="TCS", page=50, page_size=20)
    assert deep.count == cap + 1 and not deep.count_exact and len(deep.items) == 20
