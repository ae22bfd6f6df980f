"""`desk schedules sync`: one deployment per scheduled agent, idempotent, pauses, removes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from desk.domain.users import Actor, Channel
from desk.flows_support.schedules import (
    TAG,
    TIMEZONE,
    AgentSchedule,
    desired_schedules,
    sync_schedules,
)
from desk.notebook.session import open_desk
from desk.services import agents, approvals, users
from tests.integration.flows.conftest import DemoDesk


def schedule(agent: str, cron: str, *, paused: bool = False) -> AgentSchedule:
    params = {"agent_id": agent, "query": f"research {agent}", "run_mode": "live"}
    return AgentSchedule(agent, f"name-{agent}", cron, paused, params)


def deployments() -> dict[str, Any]:
    from prefect.client.orchestration import get_client

    async def read() -> dict[str, Any]:
        async with get_client() as client:
            return {d.name: d for d in await client.read_deployments()}

    return asyncio.run(read())


def crons(found: dict[str, Any]) -> dict[str, tuple[str, str, bool]]:
    return {
        name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone, d.paused)
        for name, d in found.items()
        if TAG in (d.tags or [])
    }


def test_desired_schedules_follow_active_configs_and_pauses(demo_desk: DemoDesk) -> None:
    with open_desk(demo_desk.home, seed=False) as desk:
        rt = desk.rt
        assert desired_schedules(rt) == []  # the demo agent has no schedule
        config = {"model": "m/x", "system_prompt": "p", "universe": ["NSE:INFY"],
                  "schedule": "15 9 * * 1-5", "quorum": 2}  # fmt: skip
        version = agents.add_config_version(rt, desk.actor, demo_desk.agent_id, config)
        request = agents.request_promotion(rt, desk.actor, demo_desk.agent_id, version.version)
        for name in ("asha", "vikram"):
            approver = Actor.of(users.get_user(rt, name), Channel.API)
            approvals.decide(rt, approver, request.id, "approve", "ok")
        agents.create_agent(
            rt, desk.actor, name="draft-only", config=config, approvers=["asha", "vikram"]
        )  # never promoted
        [wanted] = desired_schedules(rt)
        assert (wanted.agent_id, wanted.cron, wanted.paused) == (
            demo_desk.agent_id, "15 9 * * 1-5", False,
        )  # fmt: skip
        assert wanted.parameters["run_mode"] == "live"
        assert "NSE:INFY" in wanted.parameters["query"]
        agents.set_paused(rt, desk.actor, demo_desk.agent_id, True, "holiday")
        assert [w.paused for w in desired_schedules(rt)] == [True]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_sync_creates_updates_pauses_deletes_and_is_idempotent() -> None:
    first = [schedule("a", "15 9 * * 1-5"), schedule("b", "0 10 * * *", paused=True),
             schedule("c", "30 15 * * 1-5")]  # fmt: skip
    report = sync_schedules(first)
    assert sorted(report.created) == ["agent-a", "agent-b", "agent-c"]
    assert report.paused == ["agent-b"]
    assert crons(deployments()) == {
        "agent-a": ("15 9 * * 1-5", TIMEZONE, False),
        "agent-b": ("0 10 * * *", TIMEZONE, True),
        "agent-c": ("30 15 * * 1-5", TIMEZONE, False),
    }
    again = sync_schedules(first)
    assert (again.created, again.updated, again.deleted) == ([], [], [])
    assert sorted(again.unchanged) == ["agent-a", "agent-b", "agent-c"]

    ids_before = {name: d.id for name, d in deployments().items()}
    second = [schedule("a", "45 9 * * 1-5"), schedule("b", "0 10 * * *")]
    report = sync_schedules(second)
    assert sorted(report.updated) == ["agent-a", "agent-b"]
    assert report.deleted == ["agent-c"]
    found = deployments()
    assert crons(found) == {
        "agent-a": ("45 9 * * 1-5", TIMEZONE, False),
        "agent-b": ("0 10 * * *", TIMEZONE, False),
    }
    assert found["agent-a"].id == ids_before["agent-a"]  # updated in place, history kept
    assert len(found["agent-a"].schedules) == 1
    assert sync_schedules(second).unchanged == ["agent-a", "agent-b"]
    sync_schedules([])


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_cli_sync_reads_the_desk(demo_desk: DemoDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    from desk.cli import flows_cmd

    with open_desk(demo_desk.home, seed=False) as desk:
        config = {"model": "m/x", "system_prompt": "p", "universe": ["NSE:TCS"],
                  "schedule": "0 9 * * 1-5"}  # fmt: skip
        made = agents.create_agent(desk.rt, desk.actor, name="tcs-watch", config=config,
                                   approvers=["asha"])  # fmt: skip
        request = agents.request_promotion(desk.rt, desk.actor, made.agent.id, 1)
        approvals.decide(desk.rt, desk.as_user("asha").actor, request.id, "approve", "ok")
    runner = CliRunner()
    cli = typer.Typer()
    cli.add_typer(flows_cmd.schedules_app, name="schedules")
    cli.add_typer(flows_cmd.flows_app, name="flows")
    result = runner.invoke(cli, ["schedules", "sync"])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    deployment = deployments()[f"agent-{made.agent.id}"]
    assert deployment.entrypoint == "flows.analysis.analysis_flow"
    assert "agent_id" in deployment.parameter_openapi_schema["properties"]
    result = runner.invoke(cli, ["schedules", "sync"])
    assert "0 created, 0 updated, 1 unchanged, 0 deleted" in result.output
    sync_schedules([])


def test_served_deployments_match_the_synced_ones() -> None:
    from desk.flows_support.schedules import ENTRYPOINT
    from flows.serve import agent_deployments, analysis_schema, housekeeping_deployments

    [served] = agent_deployments([schedule("a", "15 9 * * 1-5", paused=True)])
    assert (served.name, served.entrypoint, served.paused) == ("agent-a", ENTRYPOINT, True)
    assert served.schedules is not None
    assert served.schedules[0].schedule.cron == "15 9 * * 1-5"
    assert served.schedules[0].schedule.timezone == TIMEZONE
    assert served.parameters["agent_id"] == "a"
    names = [d.name for d in housekeeping_deployments("*/5 * * * *")]
    assert names == [
        "approval-timeout-sweep",
        "run-recovery",
        "execute-run",
        "order-reconciliation",
        "kite-token-reminder",
        "instruments-refresh",
    ]
    assert {"agent_id", "run_mode", "replay"} <= set(analysis_schema()["properties"])
