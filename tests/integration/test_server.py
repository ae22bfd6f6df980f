"""The running service end to end, in-process: run → proposals → approvals → execution."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.bootstrap import Runtime
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.approval_model import RequestState
from desk.domain.clock import FixedClock
from desk.domain.runs import RunStatus
from desk.server import DeskServer
from desk.services import agents, approvals, proposals, runs
from desk.services.transactions import KEY_LIFETIME
from tests.integration.conftest import (
    ROOT,
    People,
    config,
    make_agent,
    promote_to_paper,
    wait_for,
)


@pytest.fixture
def store_url(duckdb_url: str) -> str:  # the services under it are tested on both back-ends
    return duckdb_url


def test_research_to_paper_order_through_the_running_service(
    runtime: Runtime, people: People
) -> None:
    rt = runtime
    server = DeskServer(rt, housekeeping_seconds=0.1)
    server.start()
    try:
        proposals.load_instruments(rt, ROOT, INSTRUMENTS_CSV.read_text())
        agent_id = make_agent(rt, people)
        promote_to_paper(rt, people, agent_id)
        run = runs.start_run(rt, server.engine, people.owner, agent_id, replay="infosys_research")
        server.runner.submit(run.id).result(timeout=30)
        assert runs.get_run(rt, people.owner, agent_id, run.id).status is RunStatus.COMPLETED
        [detail] = approvals.queue(rt, people.a1)
        assert detail.details["run_id"] == run.id
        approvals.decide(rt, people.a1, detail.request.id, "approve")
        approvals.decide(rt, people.a2, detail.request.id, "approve")
        wait_for(
            lambda: (
                approvals.get_request(rt, ROOT, detail.request.id).request.state
                is RequestState.EXECUTED
            ),
            timeout=20.0,
        )
        assert len(server.paper.broker.orders()) == 1
        assert server.alive
    finally:
        server.stop()


def test_restart_marks_interrupted_runs_failed(runtime: Runtime, people: People) -> None:
    agent_id = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent_id)
    first = DeskServer(runtime)
    run = runs.start_run(runtime, first.engine, people.owner, agent_id, query="left behind")
    first.stop()
    second = DeskServer(runtime, housekeeping_seconds=60)
    second.start()
    try:
        failed = runs.get_run(runtime, people.owner, agent_id, run.id)
        assert failed.status is RunStatus.FAILED and "restarted" in (failed.error or "")
    finally:
        second.stop()


def test_paper_partial_fills_follow_the_setting(runtime: Runtime) -> None:
    """DESK_PAPER_MAX_FILL_QUANTITY reaches the paper broker, also after instruments reload."""
    runtime.settings = runtime.settings.model_copy(update={"paper_max_fill_quantity": 25})
    server = DeskServer(runtime, housekeeping_seconds=0.1)
    try:
        assert server.paper.paper is not None
        assert server.paper.paper.max_fill_quantity == 25
        proposals.load_instruments(runtime, ROOT, INSTRUMENTS_CSV.read_text())
        assert server.paper.paper.max_fill_quantity == 25
    finally:
        server.stop()


def test_housekeeping_forgets_expired_idempotency_keys(
    runtime: Runtime, people: People, clock: FixedClock
) -> None:
    agents.create_agent(
        runtime, people.owner, name="keyed", config=config(quorum=1),
        approvers=[people.a1.user_id or ""], idempotency_key="old-key",
    )  # fmt: skip
    clock.advance(KEY_LIFETIME + timedelta(minutes=1))
    server = DeskServer(runtime, housekeeping_seconds=0.05)
    server.start()
    try:

        def forgotten() -> bool:
            with runtime.uow(write=False) as uow:
                return uow.idempotency.get(people.owner.user_id or "", "old-key") is None

        wait_for(forgotten, timeout=10.0)
    finally:
        server.stop()
