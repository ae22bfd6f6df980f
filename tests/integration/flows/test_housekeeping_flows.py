"""Housekeeping flows and the run-artifact service they and the analysis flow rely on."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from desk.adapters.system import SystemClock
from desk.bootstrap import Runtime
from desk.domain.clock import FixedClock
from desk.domain.errors import NotFoundError, ValidationError
from desk.domain.runs import RunStatus
from desk.notebook.session import engine_for, open_desk
from desk.services import agents, run_artifacts, runs
from tests.integration.flows.conftest import DemoDesk


def test_set_artifact_and_fail_run(duck_runtime: Runtime) -> None:
    from desk.services.demo import seed_demo

    seed = seed_demo(duck_runtime, engine_for(duck_runtime))
    done = run_artifacts.set_artifact(duck_runtime, seed.run.id, "/tmp/a/run.ipynb")
    assert done.artifact_path == "/tmp/a/run.ipynb"
    assert done.status is RunStatus.COMPLETED
    assert run_artifacts.fail_run(duck_runtime, seed.run.id, "late").status is RunStatus.COMPLETED
    pending = runs.start_run(
        duck_runtime, engine_for(duck_runtime), seed.owner, seed.agent_id, replay="parallel_reading"
    )
    failed = run_artifacts.fail_run(duck_runtime, pending.id, "cell 3 raised KeyError: 'x'")
    assert (failed.status, failed.error) == (RunStatus.FAILED, "cell 3 raised KeyError: 'x'")
    kinds = [e.kind for e in runs.list_events(duck_runtime, seed.owner, seed.agent_id, pending.id)]
    assert kinds == ["error"]
    with pytest.raises(ValidationError):
        run_artifacts.set_artifact(duck_runtime, pending.id, "  ")
    with pytest.raises(NotFoundError):
        run_artifacts.set_artifact(duck_runtime, "nope", "/x")


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_sweep_and_recovery_flows(demo_desk: DemoDesk) -> None:
    from flows.approval_sweep import approval_sweep_flow
    from flows.run_recovery import run_recovery_flow

    with open_desk(demo_desk.home, seed=False) as desk:
        desk.rt.clock = FixedClock(SystemClock().now() - timedelta(days=1))
        config = {"model": "m/x", "system_prompt": "p", "universe": ["NSE:INFY"],
                  "quorum": 2, "approval_timeout_minutes": 30}  # fmt: skip
        version = agents.add_config_version(desk.rt, desk.actor, demo_desk.agent_id, config)
        stale = agents.request_promotion(desk.rt, desk.actor, demo_desk.agent_id, version.version)
        pending = runs.start_run(desk.rt, desk.engine, desk.actor, demo_desk.agent_id,
                                 replay="infosys_research")  # fmt: skip
    assert approval_sweep_flow(str(demo_desk.home)) == [stale.id]
    assert approval_sweep_flow(str(demo_desk.home)) == []
    assert run_recovery_flow(str(demo_desk.home)) == [pending.id]
    with open_desk(demo_desk.home, seed=False) as desk:
        assert desk.get_run(demo_desk.agent_id, pending.id).status is RunStatus.FAILED
        swept = desk.requests_frame().filter(pl.col("id") == stale.id).row(0, named=True)
        assert swept["state"] != "pending"
