"""What owners and admins do to agents: versions, promotion, demotion, pause, kill switches.

Rules
- A member creates agents they own; an admin may create one for anyone. The owner is never
  an assigned approver (use ``owner_counts_toward_quorum``); ids are not repeated.
- A new config version is a ``draft`` numbered one past the highest; its author is the actor.
- Promotion is one step (``draft → paper`` or ``paper → live``) and needs an approved
  ``config_promotion`` request whose subject is the version's key and whose proposer is the
  version's author. Promoting to live needs ``mode: live`` and retires the previous live
  version. The diff shown with the request is against the current live version.
- The rules deciding a promotion come from the governing config: the live one, else the newest
  paper one, else the candidate itself (a first ``draft → paper`` only).
- Demotion (live → paper), pause/resume and the agent kill switch are immediate for the owner,
  an admin or the system; the global kill switch for an admin or the system. Pausing a paused
  agent (or resuming a running one) returns it unchanged, so the service audits real changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from desk.domain.agent_config import FieldChange, diff_configs
from desk.domain.agents import (
    Agent,
    AgentConfig,
    AgentStatus,
    ConfigVersion,
    Mode,
    Stage,
    active_version,
    live_version,
)
from desk.domain.approval_errors import InvalidTransitionError
from desk.domain.approvals import ApprovalRequest, RequestKind, RequestState
from desk.domain.errors import ValidationError
from desk.domain.permissions import Action, require
from desk.domain.users import Actor

_NEXT_STAGE = {Stage.DRAFT: Stage.PAPER, Stage.PAPER: Stage.LIVE}


@dataclass(frozen=True, slots=True)
class PromotionPlan:
    """What a promotion request will do; the service stores it with the request."""

    agent_id: str
    version: int
    subject_id: str
    from_stage: Stage
    to_stage: Stage
    diff: tuple[FieldChange, ...]
    governing_config: AgentConfig


@dataclass(frozen=True, slots=True)
class GlobalKillSwitch:
    on: bool
    reason: str | None
    changed_by: str | None
    changed_at: datetime | None


def validate_people(
    owner_id: str, approver_ids: Iterable[str], escalation_approver_ids: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    approvers, escalation = list(approver_ids), list(escalation_approver_ids)
    errors: dict[str, str] = {}
    for name, ids in (("approver_ids", approvers), ("escalation_approver_ids", escalation)):
        if len(set(ids)) != len(ids):
            errors[name] = "lists a user twice"
        elif any(not i for i in ids):
            errors[name] = "contains an empty id"
    if owner_id in approvers:
        errors["approver_ids"] = "the owner is not an approver; use owner_counts_toward_quorum"
    if errors:
        raise ValidationError("invalid agent people — " + "; ".join(errors.values()), fields=errors)
    return tuple(approvers), tuple(escalation)


def new_agent(
    *,
    agent_id: str,
    name: str,
    owner_id: str,
    approver_ids: Iterable[str],
    escalation_approver_ids: Iterable[str],
    actor: Actor,
    now: datetime,
) -> Agent:
    require(Action.CREATE_AGENT, actor)
    if not actor.is_admin and owner_id != actor.user_id:
        raise ValidationError(
            "members create agents they own", fields={"owner_id": "must be yourself"}
        )
    clean = name.strip()
    if not 1 <= len(clean) <= 80:
        raise ValidationError("agent name must be 1-80 characters", fields={"name": "invalid"})
    approvers, escalation = validate_people(owner_id, approver_ids, escalation_approver_ids)
    return Agent(
        id=agent_id,
        name=clean,
        owner_id=owner_id,
        approver_ids=approvers,
        escalation_approver_ids=escalation,
        status=AgentStatus.ACTIVE,
        pause_reason=None,
        kill_switch=False,
        created_at=now,
    )


def new_config_version(
    agent: Agent,
    versions: Sequence[ConfigVersion],
    config: AgentConfig,
    actor: Actor,
    now: datetime,
) -> ConfigVersion:
    require(Action.EDIT_CONFIG, actor, agent)
    if actor.user_id is None:
        raise ValidationError("a config version needs a human author")
    return ConfigVersion(
        agent_id=agent.id,
        version=max((v.version for v in versions), default=0) + 1,
        stage=Stage.DRAFT,
        config=config,
        author_id=actor.user_id,
        created_at=now,
    )


def promotion_target(version: ConfigVersion) -> Stage:
    target = _NEXT_STAGE.get(version.stage)
    if target is None:
        raise InvalidTransitionError(
            f"version {version.version} is {version.stage.value}; only draft and paper "
            "versions can be promoted"
        )
    return target


def governing_config(versions: Iterable[ConfigVersion], candidate: ConfigVersion) -> AgentConfig:
    current = active_version(versions)
    return current.config if current is not None else candidate.config


def plan_promotion(
    agent: Agent, version: ConfigVersion, versions: Sequence[ConfigVersion], actor: Actor
) -> PromotionPlan:
    """Check a promotion may be requested and describe it (target stage, diff, rules)."""
    require(Action.REQUEST_PROMOTION, actor, agent)
    if version.agent_id != agent.id:
        raise ValidationError("version belongs to another agent", fields={"version": "mismatch"})
    target = promotion_target(version)
    if target is Stage.LIVE and version.config.mode is not Mode.LIVE:
        raise ValidationError(
            "only a config with mode 'live' can be promoted to live; create a new version",
            fields={"mode": "must be live"},
        )
    live = live_version(versions)
    return PromotionPlan(
        agent_id=agent.id,
        version=version.version,
        subject_id=version.key,
        from_stage=version.stage,
        to_stage=target,
        diff=tuple(diff_configs(live.config if live else None, version.config)),
        governing_config=governing_config(versions, version),
    )


def apply_promotion(
    request: ApprovalRequest, version: ConfigVersion, versions: Sequence[ConfigVersion]
) -> tuple[ConfigVersion, ...]:
    """The versions that change (the promoted one first, then a retired live one)."""
    if request.kind is not RequestKind.CONFIG_PROMOTION or request.subject_id != version.key:
        raise ValidationError("request is not the promotion of this version")
    if request.proposer_id != version.author_id:
        raise ValidationError("a promotion request's proposer must be the version's author")
    if request.state is not RequestState.APPROVED:
        raise InvalidTransitionError(
            f"promotion request {request.id} is {request.state.value}, not approved"
        )
    target = promotion_target(version)
    promoted = replace(version, stage=target)
    if target is not Stage.LIVE:
        return (promoted,)
    previous = live_version(v for v in versions if v.version != version.version)
    if previous is None:
        return (promoted,)
    return promoted, replace(previous, stage=Stage.RETIRED)


def demote(agent: Agent, version: ConfigVersion, actor: Actor) -> ConfigVersion:
    require(Action.DEMOTE, actor, agent)
    if version.agent_id != agent.id:
        raise ValidationError("version belongs to another agent", fields={"version": "mismatch"})
    if version.stage is not Stage.LIVE:
        raise InvalidTransitionError(
            f"version {version.version} is {version.stage.value}; only the live version can "
            "be demoted"
        )
    return replace(version, stage=Stage.PAPER)


def pause(agent: Agent, actor: Actor, reason: str) -> Agent:
    require(Action.PAUSE_RESUME, actor, agent)
    text = reason.strip()
    if not text or len(text) > 500:
        raise ValidationError(
            "a pause needs a reason (1-500 characters)", fields={"reason": "invalid"}
        )
    if agent.is_paused:
        return agent
    return replace(agent, status=AgentStatus.PAUSED, pause_reason=text)


def resume(agent: Agent, actor: Actor) -> Agent:
    require(Action.PAUSE_RESUME, actor, agent)
    if not agent.is_paused:
        return agent
    return replace(agent, status=AgentStatus.ACTIVE, pause_reason=None)


def set_agent_kill_switch(agent: Agent, actor: Actor, on: bool) -> Agent:
    require(Action.TOGGLE_AGENT_KILL_SWITCH, actor, agent)
    return replace(agent, kill_switch=on)


def set_global_kill_switch(
    current: GlobalKillSwitch, actor: Actor, on: bool, reason: str | None, now: datetime
) -> GlobalKillSwitch:
    require(Action.TOGGLE_GLOBAL_KILL_SWITCH, actor)
    if current.on == on:
        return current
    return GlobalKillSwitch(on=on, reason=reason, changed_by=actor.label, changed_at=now)
