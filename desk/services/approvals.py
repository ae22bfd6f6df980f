"""Approval requests: decisions, cancels, listings, the caller's queue, timeout sweeps.

Every state change is a conditional update on the request's ``version`` inside
:func:`atomically`: two approvers completing a quorum at once produce one ``approved``
transition (the loser retries and finds the request decided), on DuckDB and on Postgres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from desk.domain import approvals as rules
from desk.domain.agent_lifecycle import pause
from desk.domain.agents import active_version
from desk.domain.approval_model import (
    ApprovalRequest,
    Decision,
    DecisionOutcome,
    Effect,
    NoticeTopic,
    PauseAgent,
    RequestKind,
    RequestNotice,
    RequestState,
    Verdict,
)
from desk.domain.errors import ConcurrencyError, ConflictError, NotFoundError, ValidationError
from desk.domain.permissions import Action, may
from desk.domain.users import Actor, Channel, Role
from desk.services import audit
from desk.services.agents import apply_approved_promotion, load_agent
from desk.services.notices import emit_request_notice
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import Once, atomically, once

MAX_PAGE_SIZE = 100
MIN_PREFIX = 6


@dataclass(frozen=True, slots=True)
class RequestDetail:
    request: ApprovalRequest
    decisions: tuple[Decision, ...]
    details: dict[str, Any]
    agent_name: str
    #: user id → username of the people who decided (filled for one request in full)
    usernames: Mapping[str, str] = field(default_factory=dict)

    @property
    def approvals(self) -> int:
        return sum(1 for d in self.decisions if d.decision is Verdict.APPROVE)

    @property
    def progress(self) -> str:
        return f"{self.approvals} of {self.request.quorum}"


@dataclass(frozen=True, slots=True)
class DecideResult:
    request: ApprovalRequest
    outcome: DecisionOutcome
    replayed: bool = False


# Idempotent decisions: the first outcome is stored; a replay reports it with the request now.
_DECIDE: Once[DecideResult] = Once(
    "approval.decide",
    record=lambda result: {"outcome": result.outcome.value},
    replay=lambda uow, stored, request: DecideResult(
        _load(uow, request["request_id"]), DecisionOutcome(stored["outcome"])
    ),
)


@dataclass(frozen=True, slots=True)
class RequestPage:
    items: list[RequestDetail]
    count: int
    page: int
    page_size: int


def _load(uow: UnitOfWork, request_id: str) -> ApprovalRequest:
    request = uow.approvals.get(request_id)
    if request is None:
        raise NotFoundError(f"no approval request {request_id!r}", fields={"request_id": "unknown"})
    return request


def _visible(uow: UnitOfWork, actor: Actor, request_id: str) -> ApprovalRequest:
    request = _load(uow, request_id)
    if not rules.may_view(request, actor, load_agent(uow, request.agent_id)):
        raise NotFoundError(f"no approval request {request_id!r}", fields={"request_id": "unknown"})
    return request


def resolve_ref(ctx: Context, actor: Actor, ref: str) -> str:
    """A full id from a full id or a short unambiguous prefix (Telegram, CLI)."""
    text = ref.strip().lower()
    if not text or not all(c in "0123456789abcdef" for c in text):
        raise ValidationError("a request id is hexadecimal", fields={"request_id": "not an id"})
    with ctx.uow(write=False) as uow:
        if len(text) >= 32 and uow.approvals.get(text) is not None:
            return _visible(uow, actor, text).id
        if len(text) < MIN_PREFIX:
            raise ValidationError(
                f"give at least {MIN_PREFIX} characters of the request id",
                fields={"request_id": "too short"},
            )
        found = uow.approvals.find_by_prefix(text)
        if not found:
            raise NotFoundError(f"no approval request {ref!r}", fields={"request_id": "unknown"})
        if len(found) > 1:
            raise ValidationError(
                f"{ref!r} matches more than one request; give more characters",
                fields={"request_id": "ambiguous"},
            )
        return _visible(uow, actor, found[0]).id


def get_request(ctx: Context, actor: Actor, request_id: str) -> RequestDetail:
    with ctx.uow(write=False) as uow:
        request = _visible(uow, actor, request_id)
        decisions = tuple(uow.approvals.decisions(request.id))
        return RequestDetail(
            request,
            decisions,
            uow.approvals.details(request.id),
            load_agent(uow, request.agent_id).name,
            _usernames(uow, {d.approver_id for d in decisions}),
        )


def _usernames(uow: UnitOfWork, user_ids: set[str]) -> dict[str, str]:
    """Who the deciders are (a request has a handful of decisions at most)."""
    found = {uid: uow.users.get(uid) for uid in sorted(user_ids)}
    return {uid: user.username for uid, user in found.items() if user is not None}


def _details(uow: UnitOfWork, requests: Sequence[ApprovalRequest]) -> list[RequestDetail]:
    ids = [r.id for r in requests]
    decisions = uow.approvals.decisions_for(ids)
    details = uow.approvals.details_for(ids)
    names: dict[str, str] = {}
    items = []
    for r in requests:
        if r.agent_id not in names:
            names[r.agent_id] = load_agent(uow, r.agent_id).name
        items.append(
            RequestDetail(r, tuple(decisions[r.id]), details.get(r.id, {}), names[r.agent_id])
        )
    return items


def list_requests(
    ctx: Context,
    actor: Actor,
    *,
    state: str | None = None,
    kind: str | None = None,
    agent_id: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> RequestPage:
    """Requests the caller may see, newest first, filtered and paginated."""
    states = _parse_states(state)
    kind_value = _parse_kind(kind)
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"page must be ≥ 1 and page_size 1-{MAX_PAGE_SIZE}",
            fields={"page_size": "out of range"},
        )
    with ctx.uow(write=False) as uow:
        visible_to = None
        agent_ids: list[str] = []
        if not actor.is_admin:
            visible_to = actor.user_id or "-"
            agent_ids = [
                a.id for a in uow.agents.list_visible(visible_to=visible_to)
                if may(Action.VIEW_REQUESTS, actor, a)
            ]  # fmt: skip
        found, count = uow.approvals.search(
            states=states, kind=kind_value, agent_id=agent_id, agent_ids=agent_ids,
            visible_to=visible_to, limit=page_size, offset=(page - 1) * page_size,
        )  # fmt: skip
        return RequestPage(_details(uow, found), count, page, page_size)


def queue(ctx: Context, actor: Actor, *, limit: int = 50) -> list[RequestDetail]:
    """What the caller may decide right now, oldest first."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"limit must be 1-{MAX_PAGE_SIZE}", fields={"limit": "out of range"})
    if actor.user_id is None:
        return []
    now = ctx.clock.now()
    with ctx.uow(write=False) as uow:
        candidates = uow.approvals.decidable_by(actor.user_id, limit=limit)
        decisions = uow.approvals.decisions_for([r.id for r in candidates])
        decidable = [
            r for r in candidates
            if now < r.expires_at and rules.can_decide(
                r, decisions[r.id], actor.user_id, _channel_for_queue(r, actor.channel), now
            ) is None
        ]  # fmt: skip
        return _details(uow, decidable)


def _channel_for_queue(request: ApprovalRequest, channel: Channel) -> Channel:
    # The queue answers "may I decide this"; the channel is checked when deciding.
    return channel if channel in request.approval_channels else request.approval_channels[0]


def decide(
    ctx: Context,
    actor: Actor,
    request_id: str,
    decision: str,
    reason: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> DecideResult:
    """Record one approver's decision; a quorum approves, a reject quorum rejects."""
    try:
        verdict = Verdict(decision)
    except ValueError:
        raise ValidationError(
            "decision must be 'approve' or 'reject'", fields={"decision": "unknown decision"}
        ) from None
    text = (reason or "").strip() or None
    if verdict is Verdict.REJECT and text is None:
        raise ValidationError("a rejection needs a reason", fields={"reason": "required"})
    request_fp = {"request_id": request_id, "decision": verdict.value, "reason": text}

    def work(uow: UnitOfWork) -> DecideResult:
        request = _visible(uow, actor, request_id)
        now = ctx.clock.now()
        new = Decision(request.id, actor.user_id or "", verdict, text, actor.channel, now)
        updated, outcome = rules.apply_decision(
            request, uow.approvals.decisions(request.id), new, now
        )
        uow.approvals.add_decision(new)
        _save(uow, updated, request.version, now)
        audit.record(
            ctx, uow, actor, "approval.decided", subject_type="approval_request",
            subject_id=request.id,
            payload={"decision": verdict.value, "reason": text, "outcome": outcome.value,
                     "state": updated.state.value},
        )  # fmt: skip
        if outcome is not DecisionOutcome.RECORDED:
            if (
                updated.state is RequestState.APPROVED
                and updated.kind is RequestKind.CONFIG_PROMOTION
            ):
                apply_approved_promotion(ctx, uow, updated)
            emit_request_notice(ctx, uow, rules.notice(updated, NoticeTopic.DECIDED))
        return DecideResult(updated, outcome)

    done = once(ctx, actor, idempotency_key, _DECIDE, request=request_fp, work=work)
    return replace(done.value, replayed=True) if done.replayed else done.value


def open_trade_request(
    ctx: Context,
    uow: UnitOfWork,
    *,
    agent_id: str,
    subject_id: str,
    proposer_id: str,
    details: dict[str, Any],
) -> ApprovalRequest:
    """Inside the caller's unit of work: a pending trade request for a proposal that passed
    risk. Refused while a kill switch is on or the agent is paused."""
    agent = load_agent(uow, agent_id)
    versions = uow.agents.versions(agent.id)
    current = active_version(versions)
    if current is None:
        raise ConflictError(
            f"agent {agent.name!r} has no paper or live config; promote one first",
            fields={"agent_id": "no active config"},
        )
    admins = [u.id for u in uow.users.list(include_inactive=False) if u.role is Role.ADMIN]
    now = ctx.clock.now()
    request = rules.new_request(
        request_id=ctx.ids.new_id(), kind=RequestKind.TRADE, agent=agent, config=current.config,
        subject_id=subject_id, proposer_id=proposer_id, admin_ids=admins,
        global_kill_switch=uow.agents.global_kill_switch().on, now=now,
    )  # fmt: skip
    uow.approvals.add(request, {**details, "config_version": current.version}, now)
    audit.record(
        ctx, uow, Actor.system(label="proposals"), "approval.created",
        subject_type="approval_request", subject_id=request.id,
        payload={"kind": "trade", "agent_id": agent.id, "subject_id": subject_id,
                 "quorum": request.quorum},
    )  # fmt: skip
    emit_request_notice(ctx, uow, rules.notice(request, NoticeTopic.CREATED))
    return request


def _save(uow: UnitOfWork, request: ApprovalRequest, expected: int, now: Any) -> None:
    if not uow.approvals.save(request, expected_version=expected, now=now):
        raise ConcurrencyError("the request changed while deciding; retry")


def cancel(
    ctx: Context, actor: Actor, request_id: str, reason: str | None = None
) -> ApprovalRequest:
    def work(uow: UnitOfWork) -> ApprovalRequest:
        request = _visible(uow, actor, request_id)
        agent = load_agent(uow, request.agent_id)
        now = ctx.clock.now()
        canceled, effects = rules.cancel(request, actor, agent, now, reason)
        _save(uow, canceled, request.version, now)
        audit.record(
            ctx, uow, actor, "approval.canceled", subject_type="approval_request",
            subject_id=request.id, payload={"reason": reason},
        )  # fmt: skip
        _apply_effects(ctx, uow, effects)
        return canceled

    return atomically(ctx, work)


def sweep_timeouts(ctx: Context, *, limit: int = 500) -> list[ApprovalRequest]:
    """Apply each due request's timeout policy. Idempotent; safe to run concurrently."""
    with ctx.uow(write=False) as uow:
        due = [r.id for r in uow.approvals.due_for_timeout(ctx.clock.now(), limit=limit)]
    changed: list[ApprovalRequest] = []
    for request_id in due:
        result = atomically(ctx, partial(_timeout_one, ctx, request_id=request_id))
        if result is not None:
            changed.append(result)
    return changed


def _timeout_one(ctx: Context, uow: UnitOfWork, *, request_id: str) -> ApprovalRequest | None:
    request = _load(uow, request_id)
    now = ctx.clock.now()
    updated, effects = rules.apply_timeout(request, now)
    if updated is request:
        return None  # someone else already applied it, or it is no longer due
    _save(uow, updated, request.version, now)
    action = "approval.escalated" if updated.state is RequestState.PENDING else "approval.timed_out"
    audit.record(
        ctx, uow, Actor.system(label="timeout-sweeper"), action, subject_type="approval_request",
        subject_id=request.id,
        payload={"policy": request.timeout_policy.value, "state": updated.state.value,
                 "reason": updated.state_reason},
    )  # fmt: skip
    _apply_effects(ctx, uow, effects)
    return updated


def _apply_effects(ctx: Context, uow: UnitOfWork, effects: Sequence[Effect]) -> None:
    for effect in effects:
        if isinstance(effect, RequestNotice):
            emit_request_notice(ctx, uow, effect)
        elif isinstance(effect, PauseAgent):
            agent = load_agent(uow, effect.agent_id)
            paused = pause(agent, Actor.system(label="timeout-sweeper"), effect.reason)
            if paused != agent:
                uow.agents.update(paused, ctx.clock.now())
                audit.record(
                    ctx, uow, Actor.system(label="timeout-sweeper"), "agent.paused",
                    subject_type="agent", subject_id=agent.id, payload={"reason": effect.reason},
                )  # fmt: skip


def trade_requests_in(ctx: Context, state: RequestState, *, limit: int = 200) -> list[str]:
    """Ids of trade requests in ``state``, oldest first (for the executor's housekeeping)."""
    with ctx.uow(write=False) as uow:
        found, _ = uow.approvals.search(
            states=(state,), kind=RequestKind.TRADE, limit=limit, offset=0
        )
    return [r.id for r in sorted(found, key=lambda r: r.created_at)]


def start_execution(ctx: Context, request_id: str) -> ApprovalRequest:
    """The single hand-off: approved trade → executing (kill switches re-checked here)."""
    return atomically(ctx, lambda uow: start_execution_in(ctx, uow, request_id))


def start_execution_in(ctx: Context, uow: UnitOfWork, request_id: str) -> ApprovalRequest:
    """:func:`start_execution` inside the caller's unit of work (the executor stores the
    execution intent in the same transaction)."""
    request = _load(uow, request_id)
    agent = load_agent(uow, request.agent_id)
    now = ctx.clock.now()
    moving = rules.start_execution(
        request, agent, global_kill_switch=uow.agents.global_kill_switch().on, now=now
    )
    _save(uow, moving, request.version, now)
    audit.record(
        ctx, uow, Actor.system(label="executor"), "approval.execution_started",
        subject_type="approval_request", subject_id=request.id, payload={},
    )  # fmt: skip
    return moving


def finish_execution(
    ctx: Context, request_id: str, *, succeeded: bool, reason: str | None = None
) -> ApprovalRequest:
    def work(uow: UnitOfWork) -> ApprovalRequest:
        request = _load(uow, request_id)
        now = ctx.clock.now()
        done, effects = rules.finish_execution(request, succeeded=succeeded, now=now, reason=reason)
        _save(uow, done, request.version, now)
        audit.record(
            ctx, uow, Actor.system(label="executor"),
            "approval.executed" if succeeded else "approval.execution_failed",
            subject_type="approval_request", subject_id=request.id, payload={"reason": reason},
        )  # fmt: skip
        _apply_effects(ctx, uow, effects)
        return done

    return atomically(ctx, work)


def _parse_states(state: str | None) -> tuple[RequestState, ...]:
    if not state:
        return ()
    try:
        return tuple(RequestState(s.strip()) for s in state.split(",") if s.strip())
    except ValueError:
        allowed = ", ".join(s.value for s in RequestState)
        raise ValidationError(
            f"state must be among: {allowed}", fields={"state": "unknown"}
        ) from None


def _parse_kind(kind: str | None) -> RequestKind | None:
    if not kind:
        return None
    try:
        return RequestKind(kind)
    except ValueError:
        raise ValidationError(
            "kind must be trade or config_promotion", fields={"kind": "unknown"}
        ) from None
