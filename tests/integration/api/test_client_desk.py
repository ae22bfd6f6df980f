"""The typed client's research and promotion methods, and the CLI on top of them, against a
real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from desk.cli import client_cmd
from desk.client import AsyncDesk, Desk, DeskConflictError, DeskNotFoundError, DeskValidationError
from tests.integration.api.conftest import Api
from tests.integration.api.factories import CONFIG, ORDER
from tests.integration.api.helpers import load_demo_instruments
from tests.integration.api.test_client import live

__all__ = ["live"]  # the uvicorn fixture, shared


def test_sync_client_walks_agents_runs_and_approvals(api: Api, live: str) -> None:
    load_demo_instruments(api)
    with (
        Desk(live, api.tokens["owner"], backoff=0) as owner,
        Desk(live, api.tokens["approver"], backoff=0) as approver,
    ):
        agent = owner.create_agent("client-agent", CONFIG, approvers=["approver"])
        promotion = owner.request_promotion(agent.id, 1)
        assert [r.id for r in approver.queue()] == [promotion.id]
        assert approver.decide(promotion.id, "approve", "ok").outcome == "approved"
        assert owner.agent(agent.id).active_version == 1
        assert [a.name for a in approver.agents()] == ["client-agent"]

        run = owner.analyze(agent.id, replay="infosys_research", async_mode=False)
        assert run.status == "completed"
        frame = owner.runs(agent.id, as_frame=True, status=["completed", "failed"])
        assert isinstance(frame, pl.DataFrame) and frame["id"].to_list() == [run.id]
        assert owner.runs(agent.id, q="no-such-text").count == 0
        assert owner.run(agent.id, run.id).result_text
        assert owner.run_status(agent.id, run.id).is_terminal
        events = owner.run_events(agent.id, run.id, after=0, limit=500)
        assert len(events.results) == run.event_count
        with pytest.raises(DeskConflictError) as conflict:
            owner.cancel_run(agent.id, run.id)
        assert conflict.value.fields == {"status": "completed"}

        proposal = owner.submit_proposal(agent.id, **ORDER)
        assert proposal.status == "submitted" and proposal.request_id
        assert owner.proposal(proposal.id).id == proposal.id
        assert proposal.id in [p.id for p in owner.proposals(agent=agent.id)]
        detail = approver.approval(proposal.request_id)
        assert detail.kind == "trade" and detail.summary.instrument == "NSE:INFY"
        assert approver.approvals(state="pending").count >= 1
        assert owner.orders().count == 0 and owner.positions().venue == "paper"
        assert owner.kill_switch().on is False
        with pytest.raises(DeskValidationError) as invalid:
            owner.create_agent("bad", {**CONFIG, "quorum": 9}, approvers=["approver"])
        assert "quorum" in invalid.value.fields
        with pytest.raises(DeskNotFoundError):
            owner.agent("f" * 32)
        canceled = owner.cancel_request(proposal.request_id, reason="changed my mind")
        assert canceled.state == "canceled"


def test_async_client_streams_run_events(api: Api, live: str) -> None:
    async def go() -> list[int]:
        async with AsyncDesk(live, api.tokens["owner"], backoff=0) as owner:
            agent = await owner.create_agent(
                "async-agent", {**CONFIG, "owner_counts_toward_quorum": True,
                                "allow_self_approval": True},
            )  # fmt: skip
            promotion = await owner.request_promotion(agent.id, 1)
            await owner.decide(promotion.id, "approve", "self-approved in a test")
            run = await owner.analyze(agent.id, replay="infosys_research", async_mode=True)
            seqs = [e.seq async for e in owner.stream_run_events(agent.id, run.id)]
            listing = await owner.runs(agent.id)
            assert listing.results[0].status == "completed"
            return seqs

    seqs = asyncio.run(go())
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 3


def test_cli_commands_talk_to_the_service(
    api: Api, live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = typer.Typer()
    client_cmd.register(app)
    runner = CliRunner()
    env = {"DESK_URL": live, "DESK_TOKEN": api.tokens["owner"]}
    monkeypatch.chdir(tmp_path)  # no stray .env
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"name": "cli-agent", "config": CONFIG, "approvers": ["approver"]}))
    created = runner.invoke(app, ["agents", "create", "--file", str(cfg)], env=env)
    assert created.exit_code == 0, created.output
    agent_id = created.output.split("id=")[1].split()[0]
    listed = runner.invoke(app, ["agents", "list"], env=env)
    assert "cli-agent" in listed.output
    refused = runner.invoke(app, ["agents", "analyze", agent_id, "what now?"], env=env)
    assert refused.exit_code == 2 and "config_version" in refused.output  # still a draft
    promotion = Desk(live, api.tokens["owner"]).request_promotion(agent_id, 1)
    approver_env = {**env, "DESK_TOKEN": api.tokens["approver"]}
    pending = runner.invoke(app, ["approvals", "pending"], env=approver_env)
    assert pending.exit_code == 0 and "pending for you (1)" in pending.output
    decided = runner.invoke(
        app, ["approvals", "decide", promotion.id, "approve", "--reason", "ok"], env=approver_env
    )
    assert decided.exit_code == 0 and "approved" in decided.output, decided.output
    ran = runner.invoke(
        app, ["agents", "analyze", agent_id, "--replay", "infosys_research", "--wait"], env=env
    )
    assert ran.exit_code == 0 and "completed" in ran.output, ran.output
    run_id = ran.output.split()[1]
    assert "completed" in runner.invoke(app, ["runs", "list", agent_id], env=env).output
    events = runner.invoke(app, ["runs", "events", agent_id, run_id], env=env)
    assert events.exit_code == 0 and events.output.count("\n") > 3
    follow = runner.invoke(app, ["runs", "events", agent_id, run_id, "--follow"], env=env)
    assert follow.output == events.output
    cancel = runner.invoke(app, ["runs", "cancel", agent_id, run_id], env=env)
    assert cancel.exit_code == 7 and "completed" in cancel.output
    missing = runner.invoke(app, ["runs", "show", agent_id, "a" * 32], env=env)
    assert missing.exit_code == 3 and missing.output.startswith("error: ")
    shown = runner.invoke(app, ["approvals", "show", promotion.id], env=approver_env)
    assert json.loads(shown.output)["state"] == "approved"
    bad = runner.invoke(app, ["approvals", "decide", promotion.id, "maybe"], env=approver_env)
    assert bad.exit_code == 2
