"""Agents, config versions and promotion through the services, on DuckDB and Postgres."""

from __future__ import annotations

import pytest

from desk.bootstrap import Runtime
from desk.domain.agents import Stage
from desk.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from desk.services import agents, approvals, audit
from tests.integration.conftest import People, config, make_agent, promote_to_paper


def test_create_agent_validates_every_field(runtime: Runtime, people: People) -> None:
    with pytest.raises(ValidationError) as info:
        agents.create_agent(
            runtime, people.owner, name="x",
            config=config(quorum=5, approval_channels=["fax"], schedule="61 * * * *",
                          max_steps=-1, tools=["teleport"]),
            approvers=[people.a1.user_id or ""],
        )  # fmt: skip
    assert {"quorum", "approval_channels", "schedule", "max_steps", "tools"} <= set(
        info.value.fields
    )
    with pytest.raises(ValidationError, match="no active user"):
        agents.create_agent(runtime, people.owner, name="x", config=config(), approvers=["ghost"])
    assert agents.list_agents(runtime, people.admin) == []
    with runtime.uow(write=False) as uow:
        assert not [e for e in uow.audit.list(limit=50) if e.action.startswith("agent.")]


def test_agents_are_visible_to_their_people_only(runtime: Runtime, people: People) -> None:
    agent_id = make_agent(runtime, people)
    assert [a.id for a in agents.list_agents(runtime, people.a1)] == [agent_id]
    assert [a.id for a in agents.list_agents(runtime, people.escalator)] == [agent_id]
    assert agents.list_agents(runtime, people.outsider) == []
    assert len(agents.list_agents(runtime, people.admin)) == 1
    with pytest.raises(NotFoundError):
        agents.get_agent(runtime, people.outsider, agent_id)
    with pytest.raises(AlreadyExistsError):
        make_agent(runtime, people)


def test_promotion_draft_paper_live_through_quorum(runtime: Runtime, people: People) -> None:
    agent_id = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent_id)
    detail = agents.get_agent(runtime, people.owner, agent_id)
    assert detail.versions[0].stage is Stage.PAPER and detail.live is None

    with pytest.raises(ValidationError, match="mode 'live'"):
        agents.request_promotion(runtime, people.owner, agent_id, 1)
    v2 = agents.add_config_version(runtime, people.owner, agent_id, config(mode="live"))
    promote_to_paper(runtime, people, agent_id, v2.version)
    request = agents.request_promotion(runtime, people.owner, agent_id, v2.version)
    with pytest.raises(ConflictError, match="already has a pending"):
        agents.request_promotion(runtime, people.owner, agent_id, v2.version)
    shown = approvals.get_request(runtime, people.a1, request.id)
    assert shown.details["to_stage"] == "live"
    assert {c["field"] for c in shown.details["diff"]} >= {"mode"}
    approvals.decide(runtime, people.a1, request.id, "approve", "looks fine")
    approvals.decide(runtime, people.a3, request.id, "approve")
    stages = {
        v.version: v.stage for v in agents.get_agent(runtime, people.owner, agent_id).versions
    }
    assert stages == {1: Stage.PAPER, 2: Stage.LIVE}

    v3 = agents.add_config_version(runtime, people.owner, agent_id, config(mode="live", quorum=1))
    promote_to_paper(runtime, people, agent_id, v3.version)
    final = agents.request_promotion(runtime, people.owner, agent_id, v3.version)
    approvals.decide(runtime, people.a2, final.id, "approve")  # quorum 2 still governs (live v2)
    approvals.decide(runtime, people.a3, final.id, "approve")
    stages = {
        v.version: v.stage for v in agents.get_agent(runtime, people.owner, agent_id).versions
    }
    assert stages == {1: Stage.PAPER, 2: Stage.RETIRED, 3: Stage.LIVE}

    demoted = agents.demote(runtime, people.owner, agent_id)
    assert demoted.stage is Stage.PAPER
    with pytest.raises(ConflictError, match="no live config"):
        agents.demote(runtime, people.owner, agent_id)
    actions = [e.action for e in audit.list_events(runtime, people.admin, limit=200).events]
    assert actions.count("agent.config_promoted") == 5 and "agent.config_demoted" in actions
    assert audit.verify(runtime).ok


def test_only_owner_or_admin_edit_pause_and_toggle(runtime: Runtime, people: People) -> None:
    agent_id = make_agent(runtime, people)
    for actor in (people.a1, people.outsider):
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            agents.add_config_version(runtime, actor, agent_id, config())
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            agents.set_paused(runtime, actor, agent_id, True, "no")
    paused = agents.set_paused(runtime, people.owner, agent_id, True, "earnings week")
    assert paused.is_paused and paused.pause_reason == "earnings week"
    assert not agents.set_paused(runtime, people.admin, agent_id, False).is_paused
    assert agents.set_agent_kill_switch(runtime, people.owner, agent_id, True).kill_switch
    with pytest.raises(PermissionDeniedError):
        agents.set_global_kill_switch(runtime, people.owner, True)
    state = agents.set_global_kill_switch(runtime, people.admin, True, "incident")
    assert state.on and agents.get_global_kill_switch(runtime).reason == "incident"
