"""Agents: creation, config versions, promotion requests, demotion, pause, kill switches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desk.domain import agent_lifecycle as lifecycle
from desk.domain.agent_config import config_to_dict, parse_agent_config
from desk.domain.agent_lifecycle import GlobalKillSwitch
from desk.domain.agents import (
    RESEARCH_TOOLS,
    Agent,
    ConfigVersion,
    Stage,
    active_version,
    config_warnings,
    live_version,
)
from desk.domain.approval_model import ApprovalRequest, NoticeTopic, RequestKind
from desk.domain.approvals import new_request, notice
from desk.domain.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from desk.domain.permissions import Action, may, require
from desk.domain.users import Actor, Role
from desk.services import audit
from desk.services.agent_config import validate_cron
from desk.services.notices import emit_request_notice
from desk.services.ports.context import Context
from desk.services.ports.model_catalog import ModelCatalog
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import Once, atomically, once


@dataclass(frozen=True, slots=True)
class AgentDetail:
    agent: Agent
    versions: tuple[ConfigVersion, ...]
    warnings: tuple[str, ...]

    @property
    def live(self) -> ConfigVersion | None:
        return live_version(self.versions)

    @property
    def active(self) -> ConfigVersion | None:
        return active_version(self.versions)


def load_agent(uow: UnitOfWork, agent_id: str) -> Agent:
    agent = uow.agents.get(agent_id)
    if agent is None:
        raise NotFoundError(f"no agent {agent_id!r}", fields={"agent_id": "unknown agent"})
    return agent


def visible_agent(uow: UnitOfWork, actor: Actor, agent_id: str) -> Agent:
    """The agent, or NotFound for people with no relation to it (no existence leak)."""
    agent = load_agent(uow, agent_id)
    if not may(Action.VIEW_REQUESTS, actor, agent):
        raise NotFoundError(f"no agent {agent_id!r}", fields={"agent_id": "unknown agent"})
    return agent


def _people(uow: UnitOfWork, refs: Sequence[str], field: str) -> list[str]:
    ids: list[str] = []
    for ref in refs:
        user = uow.users.get(ref) or uow.users.get_by_username(str(ref).strip().lower())
        if user is None or not user.is_active:
            raise ValidationError(
                f"{field}: no active user {ref!r}", fields={field: f"unknown user {ref!r}"}
            )
        ids.append(user.id)
    return ids


def _parse(config: Mapping[str, Any], approvers: int) -> Any:
    if not isinstance(config, Mapping):
        raise ValidationError("config must be an object", fields={"config": "not an object"})
    return parse_agent_config(
        config, assigned_approvers=approvers, allowed_tools=RESEARCH_TOOLS,
        cron_validator=validate_cron,
    )  # fmt: skip


def create_agent(
    ctx: Context,
    actor: Actor,
    *,
    name: str,
    config: Mapping[str, Any],
    owner: str | None = None,
    approvers: Sequence[str] = (),
    escalation_approvers: Sequence[str] = (),
    idempotency_key: str | None = None,
) -> AgentDetail:
    """A new agent with its first config version (a draft). A replayed key returns it."""

    def work(uow: UnitOfWork) -> AgentDetail:
        owner_ids = _people(uow, [owner or actor.user_id or ""], "owner_id")
        approver_ids = _people(uow, approvers, "approver_ids")
        escalation_ids = _people(uow, escalation_approvers, "escalation_approver_ids")
        parsed = _parse(config, len(set(approver_ids)))
        now = ctx.clock.now()
        agent = lifecycle.new_agent(
            agent_id=ctx.ids.new_id(), name=name, owner_id=owner_ids[0],
            approver_ids=approver_ids, escalation_approver_ids=escalation_ids, actor=actor, now=now,
        )  # fmt: skip
        if uow.agents.get_by_name(agent.name) is not None:
            raise AlreadyExistsError(
                f"an agent named {agent.name!r} exists", fields={"name": "taken"}
            )
        version = lifecycle.new_config_version(agent, [], parsed, actor, now)
        uow.agents.add(agent)
        uow.agents.add_version(version)
        audit.record(
            ctx, uow, actor, "agent.created", subject_type="agent", subject_id=agent.id,
            payload={"name": agent.name, "owner_id": agent.owner_id,
                     "approver_ids": list(agent.approver_ids),
                     "escalation_approver_ids": list(agent.escalation_approver_ids),
                     "config_version": 1},
        )  # fmt: skip
        return AgentDetail(agent, (version,), config_warnings(parsed))

    request = {
        "name": name, "config": dict(config), "owner": owner, "approvers": list(approvers),
        "escalation_approvers": list(escalation_approvers),
    }  # fmt: skip
    return once(ctx, actor, idempotency_key, _CREATE, request=request, work=work).value


def list_agents(ctx: Context, actor: Actor) -> list[Agent]:
    """Admins see every agent; others those they own, approve or escalate for."""
    with ctx.uow(write=False) as uow:
        if actor.is_admin:
            return uow.agents.list_visible()
        if actor.user_id is None:
            return []
        return uow.agents.list_visible(visible_to=actor.user_id)


def get_agent(ctx: Context, actor: Actor, agent_id: str) -> AgentDetail:
    with ctx.uow(write=False) as uow:
        return _detail(uow, visible_agent(uow, actor, agent_id))


def _detail(uow: UnitOfWork, agent: Agent) -> AgentDetail:
    versions = tuple(uow.agents.versions(agent.id))
    current = active_version(versions) or (versions[-1] if versions else None)
    warnings = config_warnings(current.config) if current else ()
    return AgentDetail(agent, versions, warnings)


_CREATE: Once[AgentDetail] = Once(
    "agent.create",
    record=lambda detail: {"agent_id": detail.agent.id},
    replay=lambda uow, stored, _request: _detail(uow, load_agent(uow, stored["agent_id"])),
)


def add_config_version(
    ctx: Context,
    actor: Actor,
    agent_id: str,
    config: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
) -> ConfigVersion:
    """A new draft version (versions are immutable; every change is a new one). A replayed
    ``idempotency_key`` returns the version it created."""

    def work(uow: UnitOfWork) -> ConfigVersion:
        agent = visible_agent(uow, actor, agent_id)
        require(Action.EDIT_CONFIG, actor, agent)
        parsed = _parse(config, len(agent.approver_ids))
        versions = uow.agents.versions(agent.id)
        version = lifecycle.new_config_version(agent, versions, parsed, actor, ctx.clock.now())
        uow.agents.add_version(version)
        audit.record(
            ctx, uow, actor, "agent.config_version_created", subject_type="agent",
            subject_id=agent.id, payload={"version": version.version},
        )  # fmt: skip
        return version

    request = {"agent_id": agent_id, "config": dict(config)}
    return once(ctx, actor, idempotency_key, _ADD_VERSION, request=request, work=work).value


def _replay_version(uow: UnitOfWork, stored: dict[str, Any], request: Any) -> ConfigVersion:
    versions = uow.agents.versions(request["agent_id"])
    return next(v for v in versions if v.version == stored["version"])


_ADD_VERSION: Once[ConfigVersion] = Once(
    "agent.add_version", record=lambda v: {"version": v.version}, replay=_replay_version
)


def request_promotion(
    ctx: Context,
    actor: Actor,
    agent_id: str,
    version: int,
    *,
    catalog: ModelCatalog | None = None,
) -> ApprovalRequest:
    """Open a config_promotion request (draft → paper, paper → live) decided by quorum.

    With a ``catalog``, the version's model is first checked against the provider's priced
    model list (unknown models and models without tool calling are refused).
    """
    if catalog is not None:
        with ctx.uow(write=False) as uow:
            agent = visible_agent(uow, actor, agent_id)
            found = [v for v in uow.agents.versions(agent.id) if v.version == version]
        if found:
            problem = catalog.problem(found[0].config.model, agent.owner_id)
            if problem:
                raise ValidationError(problem, fields={"model": problem})

    def work(uow: UnitOfWork) -> ApprovalRequest:
        agent = visible_agent(uow, actor, agent_id)
        versions = uow.agents.versions(agent.id)
        target = next((v for v in versions if v.version == version), None)
        if target is None:
            raise NotFoundError(
                f"agent has no config version {version}", fields={"version": "unknown"}
            )
        plan = lifecycle.plan_promotion(agent, target, versions, actor)
        if uow.approvals.pending_for_subject(RequestKind.CONFIG_PROMOTION, plan.subject_id):
            raise ConflictError(
                f"version {version} already has a pending promotion request",
                fields={"version": "promotion pending"},
            )
        admins = [u.id for u in uow.users.list(include_inactive=False) if u.role is Role.ADMIN]
        now = ctx.clock.now()
        request = new_request(
            request_id=ctx.ids.new_id(), kind=RequestKind.CONFIG_PROMOTION, agent=agent,
            config=plan.governing_config, subject_id=plan.subject_id, proposer_id=target.author_id,
            admin_ids=admins, global_kill_switch=uow.agents.global_kill_switch().on, now=now,
        )  # fmt: skip
        details = {
            "version": target.version,
            "from_stage": plan.from_stage.value,
            "to_stage": plan.to_stage.value,
            "diff": [{"field": c.field, "old": c.old, "new": c.new} for c in plan.diff],
            "config": config_to_dict(target.config),
        }
        uow.approvals.add(request, details, now)
        audit.record(
            ctx, uow, actor, "approval.created", subject_type="approval_request",
            subject_id=request.id,
            payload={"kind": request.kind.value, "agent_id": agent.id,
                     "subject_id": plan.subject_id, "to_stage": plan.to_stage.value,
                     "quorum": request.quorum},
        )  # fmt: skip
        emit_request_notice(ctx, uow, notice(request, NoticeTopic.CREATED))
        return request

    return atomically(ctx, work)


def apply_approved_promotion(ctx: Context, uow: UnitOfWork, request: ApprovalRequest) -> None:
    """Inside the deciding unit of work: move the version (and retire the old live one)."""
    agent_id, _, version_text = request.subject_id.rpartition("@v")
    versions = uow.agents.versions(agent_id)
    target = next(v for v in versions if v.version == int(version_text))
    changed = lifecycle.apply_promotion(request, target, versions)
    now = ctx.clock.now()
    previous_stage = {v.version: v.stage for v in versions}
    for version in reversed(changed):  # retire the old live version first
        if not uow.agents.set_stage(version, previous_stage[version.version], now):
            raise ConcurrencyError("the config version moved during promotion; retry")
    audit.record(
        ctx, uow, _system(), "agent.config_promoted", subject_type="agent", subject_id=agent_id,
        payload={"version": target.version, "stage": changed[0].stage.value,
                 "request_id": request.id,
                 "retired": [v.version for v in changed[1:]]},
    )  # fmt: skip


def demote(ctx: Context, actor: Actor, agent_id: str) -> ConfigVersion:
    """Live → paper at once (owner/admin), audited."""

    def work(uow: UnitOfWork) -> ConfigVersion:
        agent = visible_agent(uow, actor, agent_id)
        live = live_version(uow.agents.versions(agent.id))
        if live is None:
            raise ConflictError(
                "the agent has no live config to demote", fields={"agent_id": "no live"}
            )
        demoted = lifecycle.demote(agent, live, actor)
        if not uow.agents.set_stage(demoted, Stage.LIVE, ctx.clock.now()):
            raise ConcurrencyError("the live version moved; retry")
        audit.record(
            ctx, uow, actor, "agent.config_demoted", subject_type="agent", subject_id=agent.id,
            payload={"version": live.version},
        )  # fmt: skip
        return demoted

    return atomically(ctx, work)


def set_paused(ctx: Context, actor: Actor, agent_id: str, paused: bool, reason: str = "") -> Agent:
    def work(uow: UnitOfWork) -> Agent:
        agent = visible_agent(uow, actor, agent_id)
        changed = (
            lifecycle.pause(agent, actor, reason) if paused else lifecycle.resume(agent, actor)
        )
        if changed != agent:
            uow.agents.update(changed, ctx.clock.now())
            audit.record(
                ctx, uow, actor, "agent.paused" if paused else "agent.resumed",
                subject_type="agent", subject_id=agent.id, payload={"reason": reason or None},
            )  # fmt: skip
        return changed

    return atomically(ctx, work)


def set_agent_kill_switch(ctx: Context, actor: Actor, agent_id: str, on: bool) -> Agent:
    def work(uow: UnitOfWork) -> Agent:
        agent = visible_agent(uow, actor, agent_id)
        changed = lifecycle.set_agent_kill_switch(agent, actor, on)
        if changed != agent:
            uow.agents.update(changed, ctx.clock.now())
            audit.record(
                ctx, uow, actor, "kill_switch.agent_on" if on else "kill_switch.agent_off",
                subject_type="agent", subject_id=agent.id, payload={},
            )  # fmt: skip
        return changed

    return atomically(ctx, work)


def get_global_kill_switch(ctx: Context) -> GlobalKillSwitch:
    with ctx.uow(write=False) as uow:
        return uow.agents.global_kill_switch()


def set_global_kill_switch(
    ctx: Context, actor: Actor, on: bool, reason: str | None = None
) -> GlobalKillSwitch:
    def work(uow: UnitOfWork) -> GlobalKillSwitch:
        current = uow.agents.global_kill_switch()
        changed = lifecycle.set_global_kill_switch(current, actor, on, reason, ctx.clock.now())
        if changed != current:
            uow.agents.set_global_kill_switch(changed)
            audit.record(
                ctx, uow, actor, "kill_switch.global_on" if on else "kill_switch.global_off",
                subject_type="desk", subject_id=None, payload={"reason": reason},
            )  # fmt: skip
        return changed

    return atomically(ctx, work)


def _system() -> Actor:
    return Actor.system(label="promotion")
