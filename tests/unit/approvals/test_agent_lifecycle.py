from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from desk.domain.agent_lifecycle import (
    GlobalKillSwitch,
    apply_promotion,
    demote,
    governing_config,
    new_agent,
    new_config_version,
    pause,
    plan_promotion,
    promotion_target,
    resume,
    set_agent_kill_switch,
    set_global_kill_switch,
    validate_people,
)
from desk.domain.agents import (
    AgentStatus,
    ConfigVersion,
    Mode,
    Stage,
    active_version,
    live_version,
    trading_mode,
)
from desk.domain.approval_errors import InvalidTransitionError
from desk.domain.approvals import (
    Decision,
    RequestKind,
    RequestState,
    Verdict,
    apply_decision,
    new_request,
)
from desk.domain.errors import PermissionDeniedError, ValidationError
from desk.domain.users import Channel, Role

T0 = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
Builder = Callable[..., Any]


def version(config: Any, number: int, stage: Stage, author: str = "owner") -> ConfigVersion:
    return ConfigVersion("agent-1", number, stage, config, author, T0)


def approved_promotion(agent: Any, target: ConfigVersion, config: Any) -> Any:
    request = new_request(
        request_id="req-1",
        kind=RequestKind.CONFIG_PROMOTION,
        agent=agent,
        config=config,
        subject_id=target.key,
        proposer_id=target.author_id,
        admin_ids=(),
        global_kill_switch=False,
        now=T0,
    )
    made: list[Decision] = []
    for user in ("a1", "a2"):
        decision = Decision(request.id, user, Verdict.APPROVE, None, Channel.DASHBOARD, T0)
        request, _ = apply_decision(request, made, decision, T0)
        made.append(decision)
    assert request.state is RequestState.APPROVED
    return request


def test_new_agent_rules(actor_of: Builder) -> None:
    member = actor_of("owner")
    agent = new_agent(
        agent_id="x",
        name="  momentum ",
        owner_id="owner",
        approver_ids=["a1"],
        escalation_approver_ids=[],
        actor=member,
        now=T0,
    )
    assert agent.name == "momentum" and agent.status is AgentStatus.ACTIVE
    with pytest.raises(ValidationError, match="members create agents they own"):
        new_agent(
            agent_id="x",
            name="m",
            owner_id="other",
            approver_ids=[],
            escalation_approver_ids=[],
            actor=member,
            now=T0,
        )
    admin_made = new_agent(
        agent_id="x",
        name="m",
        owner_id="other",
        approver_ids=[],
        escalation_approver_ids=[],
        actor=actor_of("boss", Role.ADMIN),
        now=T0,
    )
    assert admin_made.owner_id == "other"
    with pytest.raises(PermissionDeniedError):
        new_agent(
            agent_id="x",
            name="m",
            owner_id="o",
            approver_ids=[],
            escalation_approver_ids=[],
            actor=actor_of(None),
            now=T0,
        )


def test_people_validation() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_people("owner", ["owner", "a1"], ["e1", "e1"])
    assert set(caught.value.fields) == {"approver_ids", "escalation_approver_ids"}
    assert validate_people("owner", ["a1"], []) == (("a1",), ())


def test_versions_are_numbered_drafts(
    agent_of: Builder, config_of: Builder, actor_of: Builder
) -> None:
    agent, config = agent_of(), config_of()
    first = new_config_version(agent, [], config, actor_of("owner"), T0)
    assert (first.version, first.stage, first.author_id) == (1, Stage.DRAFT, "owner")
    second = new_config_version(agent, [first], config, actor_of("boss", Role.ADMIN), T0)
    assert second.version == 2 and second.author_id == "boss"
    with pytest.raises(PermissionDeniedError, match="may not edit the config"):
        new_config_version(agent, [], config, actor_of("a1"), T0)


def test_promotion_path(agent_of: Builder, config_of: Builder, actor_of: Builder) -> None:
    agent = agent_of()
    paper_cfg = config_of(quorum=2)
    live_cfg = config_of(quorum=2, mode="live", max_cost_usd="3")
    v1 = version(paper_cfg, 1, Stage.LIVE)
    v2 = version(live_cfg, 2, Stage.DRAFT)
    plan = plan_promotion(agent, v2, [v1, v2], actor_of("owner"))
    assert (plan.from_stage, plan.to_stage, plan.subject_id) == (
        Stage.DRAFT,
        Stage.PAPER,
        "agent-1@v2",
    )
    assert {c.field for c in plan.diff} == {"max_cost_usd", "mode"}
    assert plan.governing_config == paper_cfg
    request = approved_promotion(agent, v2, plan.governing_config)
    (v2_paper,) = apply_promotion(request, v2, [v1, v2])
    assert v2_paper.stage is Stage.PAPER
    request = approved_promotion(agent, v2_paper, paper_cfg)
    promoted, retired = apply_promotion(request, v2_paper, [v1, v2_paper])
    assert promoted.stage is Stage.LIVE and retired == replace(v1, stage=Stage.RETIRED)
    assert live_version([retired, promoted]) == promoted
    assert trading_mode(promoted) is Mode.LIVE and trading_mode(v1) is Mode.PAPER
    with pytest.raises(InvalidTransitionError, match="only draft and paper"):
        promotion_target(retired)


def test_promotion_needs_an_approved_matching_request(
    agent_of: Builder, config_of: Builder
) -> None:
    agent, config = agent_of(), config_of(quorum=2)
    draft = version(config, 1, Stage.DRAFT)
    approved = approved_promotion(agent, draft, config)
    with pytest.raises(ValidationError, match="not the promotion of this version"):
        apply_promotion(approved, version(config, 2, Stage.DRAFT), [])
    with pytest.raises(InvalidTransitionError, match="is pending, not approved"):
        apply_promotion(replace(approved, state=RequestState.PENDING), draft, [draft])
    with pytest.raises(ValidationError, match="author"):
        apply_promotion(replace(approved, proposer_id="a3"), draft, [draft])


def test_live_needs_live_mode(agent_of: Builder, config_of: Builder, actor_of: Builder) -> None:
    paper_version = version(config_of(), 1, Stage.PAPER)
    with pytest.raises(ValidationError, match="mode 'live'") as caught:
        plan_promotion(agent_of(), paper_version, [paper_version], actor_of("owner"))
    assert caught.value.fields == {"mode": "must be live"}


def test_promotion_permissions(agent_of: Builder, config_of: Builder, actor_of: Builder) -> None:
    draft = version(config_of(), 1, Stage.DRAFT)
    with pytest.raises(PermissionDeniedError):
        plan_promotion(agent_of(), draft, [draft], actor_of("a1"))


def test_governing_config_prefers_live_then_paper(config_of: Builder) -> None:
    c1, c2, c3 = config_of(quorum=1), config_of(quorum=2), config_of(quorum=3)
    draft = version(c3, 3, Stage.DRAFT)
    assert governing_config([draft], draft) == c3
    assert (
        governing_config([version(c1, 1, Stage.PAPER), version(c2, 2, Stage.PAPER), draft], draft)
        == c2
    )
    assert governing_config([version(c1, 1, Stage.LIVE), version(c2, 2, Stage.PAPER)], draft) == c1
    assert active_version([]) is None


def test_demote_pause_resume(agent_of: Builder, config_of: Builder, actor_of: Builder) -> None:
    agent, owner = agent_of(), actor_of("owner")
    live = version(config_of(), 1, Stage.LIVE)
    assert demote(agent, live, owner).stage is Stage.PAPER
    with pytest.raises(InvalidTransitionError, match="only the live version"):
        demote(agent, replace(live, stage=Stage.PAPER), owner)
    with pytest.raises(PermissionDeniedError):
        demote(agent, live, actor_of("a1"))
    paused = pause(agent, owner, "drawdown")
    assert paused.status is AgentStatus.PAUSED and paused.pause_reason == "drawdown"
    assert pause(paused, actor_of(None), "again") is paused
    with pytest.raises(ValidationError):
        pause(agent, owner, "  ")
    resumed = resume(paused, actor_of("boss", Role.ADMIN))
    assert resumed.status is AgentStatus.ACTIVE and resumed.pause_reason is None
    assert resume(resumed, owner) is resumed


def test_kill_switches(agent_of: Builder, actor_of: Builder) -> None:
    agent = agent_of()
    assert set_agent_kill_switch(agent, actor_of("owner"), True).kill_switch
    with pytest.raises(PermissionDeniedError):
        set_agent_kill_switch(agent, actor_of("a1"), True)
    off = GlobalKillSwitch(False, None, None, None)
    with pytest.raises(PermissionDeniedError, match="global kill switch"):
        set_global_kill_switch(off, actor_of("owner"), True, "panic", T0)
    on = set_global_kill_switch(off, actor_of("boss", Role.ADMIN), True, "panic", T0)
    assert on == GlobalKillSwitch(True, "panic", "boss", T0)
    assert set_global_kill_switch(on, actor_of("boss", Role.ADMIN), True, "x", T0) is on
