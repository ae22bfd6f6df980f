"""DESK_RUNNER=prefect: runs are handed to the execute-run deployment, which executes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desk.adapters.prefect_runner import DEPLOYMENT, PrefectRunner
from desk.bootstrap import bootstrap
from desk.domain.runs import RunStatus
from desk.server import DeskServer
from desk.services import runs
from tests.conftest import make_settings
from tests.integration.conftest import People, make_agent, promote_to_paper


@pytest.fixture
def store_url(duckdb_url: str) -> str:
    return duckdb_url


def test_the_service_hands_runs_to_the_work_pool_and_a_worker_executes_them(
    runtime: Any, people: People, tmp_path: Path, secret_keys: str, duckdb_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    agent_id = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent_id)
    triggered: list[tuple[str, dict[str, Any]]] = []
    settings = runtime.settings.model_copy(update={"runner": "prefect"})
    runtime.settings = settings
    server = DeskServer(runtime)
    assert isinstance(server.runner, PrefectRunner)
    server.runner._trigger = lambda name, params: triggered.append((name, params))
    run = runs.start_run(runtime, server.engine, people.owner, agent_id, replay="infosys_research")
    server.runner.submit(run.id)
    server.stop()
    [(name, params)] = triggered
    assert name == DEPLOYMENT and params["run_id"] == run.id
    assert runs.get_run(runtime, people.owner, agent_id, run.id).status is RunStatus.PENDING
    runtime.close()  # the worker is another process with the same store

    from flows.execute_run import execute

    monkeypatch.setenv("DESK_DATABASE_URL", duckdb_url)
    monkeypatch.setenv("DESK_SECRET_KEYS", secret_keys)
    assert execute.fn(run.id, params["desk_home"]) == "completed"
    with bootstrap(make_settings(duckdb_url, tmp_path / "home", secret_keys)) as rt:
        done = runs.get_run(rt, people.owner, agent_id, run.id)
        assert done.status is RunStatus.COMPLETED and done.proposals
