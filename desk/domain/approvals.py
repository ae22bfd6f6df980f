"""Approval requests and decisions: the quorum state machine (pure).

The data classes live in :mod:`desk.domain.approval_model` and the errors in
:mod:`desk.domain.approval_errors`; both are re-exported here.

States: ``pending`` (sub-state ``escalated``) → ``approved | rejected | expired | canceled``;
trades then go ``approved → executing → executed | failed``. A config promotion is final once
approved (the service applies it at once, see :mod:`desk.domain.agent_lifecycle`). ``rejected``,
``expired``, ``canceled``, ``executed`` and ``failed`` never change.

Rules
- Snapshot: a request copies, when created, everything that decides it: the eligible approver
  ids (assigned approvers, the owner if ``owner_counts_toward_quorum``, the admins if
  ``admins_may_decide``), the escalation approvers (the agent's, or the admins when it has
  none), quorum, reject quorum, channels and the timeout policy. Later config or membership
  changes do not move the goalposts of a pending request.
- Separation of duties: the proposer (trade) or author (config version) never counts, unless
  ``allow_self_approval`` (single-person desks; status shows a warning).
- Each eligible approver decides once, through an enabled channel (the CLI counts as ``api``),
  before ``expires_at``. Deciding twice raises AlreadyDecidedError; deciding a request that
  left ``pending`` raises InvalidTransitionError naming its state. Escalation approvers may
  decide only once the request is escalated.
- ``quorum`` distinct eligible approvals ⇒ approved. ``reject_quorum`` eligible rejections
  (default 1: any reject) ⇒ rejected. When the remaining approvers can no longer reach the
  quorum (counting escalation approvers still to come) ⇒ rejected at once.
- Every accepted decision bumps ``version`` even without a state change, so two deciders who
  complete the quorum together conflict on the conditional update and the retry sees both:
  exactly one ``approved`` transition.
- Timeouts (:func:`apply_timeout`, idempotent, a no-op before ``expires_at`` or after
  ``pending``): ``auto_reject`` rejects; ``auto_pause`` rejects and pauses the agent;
  ``escalate`` first marks the request escalated, lets the escalation approvers decide and
  moves the deadline to ``escalation_grace_minutes`` after the sweep that escalated it, then
  rejects if the quorum is still not met.
- Owner/admin (or the system) may cancel a pending request, or an approved trade that has not
  started executing. :func:`expire` is for a subject that went stale (system only).
- :func:`start_execution` is the single execution hand-off: approved trade → executing, refused
  when either kill switch is on or the agent is paused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from desk.domain.agents import APPROVAL_CHANNELS, Agent, AgentConfig, TimeoutPolicy
from desk.domain.approval_errors import (
    AgentPausedError,
    AlreadyDecidedError,
    InvalidTransitionError,
    KillSwitchOnError,
    NotEligibleError,
    QuorumNotMetError,
)
from desk.domain.approval_model import (
    FINAL_STATES,
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
from desk.domain.errors import DeskError, ValidationError
from desk.domain.permissions import Action, may, require
from desk.domain.users import Actor, Channel

__all__ = [
    "FINAL_STATES",
    "MAX_REASON_CHARS",
    "AgentPausedError",
    "AlreadyDecidedError",
    "ApprovalRequest",
    "Decision",
    "DecisionOutcome",
    "Effect",
    "InvalidTransitionError",
    "KillSwitchOnError",
    "NotEligibleError",
    "NoticeTopic",
    "PauseAgent",
    "QuorumNotMetError",
    "RequestKind",
    "RequestNotice",
    "RequestState",
    "Verdict",
    "apply_decision",
    "apply_timeout",
    "approver_snapshot",
    "can_decide",
    "cancel",
    "eligible_deciders",
    "expire",
    "finish_execution",
    "involved_ids",
    "may_view",
    "new_request",
    "notice",
    "require_may_trade",
    "start_execution",
    "tally",
]

MAX_REASON_CHARS = 1_000


def _counts(user_id: str, request: ApprovalRequest) -> bool:
    return request.allow_self_approval or user_id != request.proposer_id


def new_request(
    *,
    request_id: str,
    kind: RequestKind,
    agent: Agent,
    config: AgentConfig,
    subject_id: str,
    proposer_id: str,
    admin_ids: Iterable[str],
    global_kill_switch: bool,
    now: datetime,
) -> ApprovalRequest:
    """A pending request with its eligibility snapshot; refuses an unreachable quorum.

    Trades are refused while a kill switch is on or the agent is paused.
    """
    if agent.id == "" or subject_id == "" or proposer_id == "":
        raise ValidationError("agent, subject and proposer are required")
    if kind is RequestKind.TRADE:
        require_may_trade(agent, global_kill_switch=global_kill_switch)
    pool, escalation = approver_snapshot(agent, config, admin_ids)
    request = ApprovalRequest(
        id=request_id,
        kind=kind,
        agent_id=agent.id,
        subject_id=subject_id,
        proposer_id=proposer_id,
        state=RequestState.PENDING,
        escalated=False,
        escalated_at=None,
        quorum=config.quorum,
        reject_quorum=config.reject_quorum,
        allow_self_approval=config.allow_self_approval,
        eligible_approver_ids=pool,
        escalation_approver_ids=escalation,
        approval_channels=config.approval_channels,
        timeout_policy=config.timeout_policy,
        escalation_grace_minutes=config.escalation_grace_minutes,
        created_at=now,
        expires_at=now + timedelta(minutes=config.approval_timeout_minutes),
        decided_at=None,
        state_reason=None,
        version=1,
    )
    reachable = len(_potential_approvers(request))
    if reachable < request.quorum:
        raise QuorumNotMetError(
            f"quorum {request.quorum} cannot be reached: only {reachable} eligible approver(s) "
            "besides the proposer/author",
            fields={"quorum": "larger than the eligible approvers"},
        )
    return request


def approver_snapshot(
    agent: Agent, config: AgentConfig, admin_ids: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(eligible approvers, escalation approvers) as a new request copies them."""
    admins = set(admin_ids)
    pool = set(agent.approver_ids)
    if config.owner_counts_toward_quorum:
        pool.add(agent.owner_id)
    if config.admins_may_decide:
        pool |= admins
    escalation = set(agent.escalation_approver_ids) or admins
    return tuple(sorted(pool)), tuple(sorted(escalation))


def require_may_trade(agent: Agent, *, global_kill_switch: bool) -> None:
    """No new trade requests (nor executions) while a kill switch is on or the agent is paused."""
    if global_kill_switch or agent.kill_switch:
        which = "global" if global_kill_switch else f"agent {agent.name!r}"
        raise KillSwitchOnError(f"the {which} kill switch is on; no new trades")
    _require_running(agent)


def _require_running(agent: Agent) -> None:
    if agent.is_paused:
        why = f" ({agent.pause_reason})" if agent.pause_reason else ""
        raise AgentPausedError(f"agent {agent.name!r} is paused{why}; resume it first")


def eligible_deciders(request: ApprovalRequest) -> frozenset[str]:
    """Who may decide now: the snapshot, plus escalation approvers once escalated."""
    ids = set(request.eligible_approver_ids)
    if request.escalated:
        ids |= set(request.escalation_approver_ids)
    return frozenset(i for i in ids if _counts(i, request))


def _potential_approvers(request: ApprovalRequest) -> frozenset[str]:
    ids = set(eligible_deciders(request))
    if request.timeout_policy is TimeoutPolicy.ESCALATE and not request.escalated:
        ids |= {i for i in request.escalation_approver_ids if _counts(i, request)}
    return frozenset(ids)


def _effective_channel(channel: Channel) -> Channel:
    return Channel.API if channel is Channel.CLI else channel


def can_decide(
    request: ApprovalRequest,
    decisions: Sequence[Decision],
    approver_id: str | None,
    channel: Channel,
    now: datetime,
) -> DeskError | None:
    """None when the decision may be recorded; otherwise the error saying precisely why not."""
    if request.state is not RequestState.PENDING:
        return InvalidTransitionError(
            f"request {request.id} is {request.state.value}; decisions are closed"
        )
    if now >= request.expires_at:
        return InvalidTransitionError(
            f"request {request.id} timed out at {request.expires_at.isoformat()}; "
            f"its {request.timeout_policy.value} policy applies"
        )
    if approver_id is None:
        return NotEligibleError("the system never decides requests")
    earlier = next((d for d in decisions if d.approver_id == approver_id), None)
    if earlier is not None:
        return AlreadyDecidedError(
            f"you already decided this request ({earlier.decision.value} at "
            f"{earlier.decided_at.isoformat()}); a decision cannot be changed"
        )
    if approver_id == request.proposer_id and not request.allow_self_approval:
        subject = "trade" if request.kind is RequestKind.TRADE else "config version"
        return NotEligibleError(
            f"you proposed this {subject}; separation of duties forbids deciding it"
        )
    if approver_id not in eligible_deciders(request):
        if approver_id in request.escalation_approver_ids:
            return NotEligibleError(
                "escalation approvers may decide only once the request is escalated"
            )
        return NotEligibleError("you are not an eligible approver for this request")
    effective = _effective_channel(channel)
    if effective not in request.approval_channels or effective not in APPROVAL_CHANNELS:
        allowed = ", ".join(c.value for c in request.approval_channels)
        return NotEligibleError(
            f"decisions through {channel.value} are not enabled for this agent (use: {allowed})",
            fields={"channel": "not enabled"},
        )
    return None


def apply_decision(
    request: ApprovalRequest,
    decisions_so_far: Sequence[Decision],
    new_decision: Decision,
    now: datetime,
) -> tuple[ApprovalRequest, DecisionOutcome]:
    """Record one decision; approve or reject when a quorum is reached. Raises when refused."""
    if new_decision.request_id != request.id:
        raise ValidationError("decision is for another request", fields={"request_id": "mismatch"})
    if new_decision.reason is not None and len(new_decision.reason) > MAX_REASON_CHARS:
        raise ValidationError(
            f"reason must be at most {MAX_REASON_CHARS} characters", fields={"reason": "too long"}
        )
    refusal = can_decide(
        request, decisions_so_far, new_decision.approver_id, new_decision.channel, now
    )
    if refusal is not None:
        raise refusal
    approvals, rejections = tally(request, [*decisions_so_far, new_decision])
    bumped = replace(request, version=request.version + 1)
    if len(approvals) >= request.quorum:
        reason = f"approved by {len(approvals)} of quorum {request.quorum}"
        return _close(bumped, RequestState.APPROVED, now, reason), DecisionOutcome.APPROVED
    if len(rejections) >= request.reject_quorum:
        reason = f"rejected by {len(rejections)} (reject quorum {request.reject_quorum})"
        return _close(bumped, RequestState.REJECTED, now, reason), DecisionOutcome.REJECTED
    if len(_potential_approvers(request) - rejections) < request.quorum:
        reason = f"quorum {request.quorum} can no longer be reached"
        return _close(bumped, RequestState.REJECTED, now, reason), DecisionOutcome.REJECTED
    return bumped, DecisionOutcome.RECORDED


def tally(
    request: ApprovalRequest, decisions: Iterable[Decision]
) -> tuple[frozenset[str], frozenset[str]]:
    """Distinct eligible approvers who approved and who rejected (first decision counts)."""
    eligible = eligible_deciders(request)
    seen: dict[str, Verdict] = {}
    for d in decisions:
        if d.request_id == request.id and d.approver_id in eligible:
            seen.setdefault(d.approver_id, d.decision)
    approve = frozenset(i for i, v in seen.items() if v is Verdict.APPROVE)
    return approve, frozenset(seen) - approve


def _close(
    request: ApprovalRequest, state: RequestState, now: datetime, reason: str
) -> ApprovalRequest:
    return replace(request, state=state, decided_at=now, state_reason=reason)


def _move(
    request: ApprovalRequest, allowed: Iterable[RequestState], action: str
) -> ApprovalRequest:
    if request.state not in set(allowed) or (
        request.state is RequestState.APPROVED and request.kind is RequestKind.CONFIG_PROMOTION
    ):
        raise InvalidTransitionError(
            f"cannot {action} request {request.id}: it is {request.state.value}"
        )
    return replace(request, version=request.version + 1)


def involved_ids(request: ApprovalRequest) -> tuple[str, ...]:
    ids = {request.proposer_id, *request.eligible_approver_ids}
    if request.escalated:
        ids |= set(request.escalation_approver_ids)
    return tuple(sorted(ids))


def notice(request: ApprovalRequest, topic: NoticeTopic) -> RequestNotice:
    recipients = request.escalation_approver_ids if topic is NoticeTopic.ESCALATED else None
    return RequestNotice(
        topic=topic,
        request_id=request.id,
        agent_id=request.agent_id,
        kind=request.kind,
        state=request.state,
        recipient_ids=recipients or involved_ids(request),
    )


def cancel(
    request: ApprovalRequest, actor: Actor, agent: Agent, now: datetime, reason: str | None = None
) -> tuple[ApprovalRequest, tuple[Effect, ...]]:
    """Owner/admin/system: cancel a pending request or an approved trade not yet executing."""
    if agent.id != request.agent_id:
        raise ValidationError("request belongs to another agent", fields={"agent_id": "mismatch"})
    require(Action.CANCEL, actor, agent)
    moved = _move(request, (RequestState.PENDING, RequestState.APPROVED), "cancel")
    text = f"canceled by {actor.label}" + (f": {reason}" if reason else "")
    closed = _close(moved, RequestState.CANCELED, now, text)
    return closed, (notice(closed, NoticeTopic.CANCELED),)


def expire(request: ApprovalRequest, now: datetime, reason: str) -> ApprovalRequest:
    """System: the subject went stale (e.g. the proposal's session ended)."""
    return _close(
        _move(request, (RequestState.PENDING,), "expire"), RequestState.EXPIRED, now, reason
    )


def apply_timeout(
    request: ApprovalRequest, now: datetime
) -> tuple[ApprovalRequest, tuple[Effect, ...]]:
    """The sweeper's step. Returns the request unchanged and no effects when nothing is due."""
    if request.state is not RequestState.PENDING or now < request.expires_at:
        return request, ()
    bumped = replace(request, version=request.version + 1)
    policy = request.timeout_policy
    if policy is TimeoutPolicy.ESCALATE and not request.escalated:
        extra = {i for i in request.escalation_approver_ids if _counts(i, request)}
        if extra - set(request.eligible_approver_ids):
            escalated = replace(
                bumped,
                escalated=True,
                escalated_at=now,
                expires_at=now + timedelta(minutes=request.escalation_grace_minutes),
            )
            return escalated, (notice(escalated, NoticeTopic.ESCALATED),)
        reason = "timed out; escalate policy but no one to escalate to"
    elif policy is TimeoutPolicy.ESCALATE:
        reason = "no quorum within the escalation grace period"
    else:
        reason = f"timed out ({policy.value})"
    closed = _close(bumped, RequestState.REJECTED, now, reason)
    effects: list[Effect] = [notice(closed, NoticeTopic.DECIDED)]
    if policy is TimeoutPolicy.AUTO_PAUSE:
        effects.append(
            PauseAgent(agent_id=request.agent_id, reason=f"request {request.id} {reason}")
        )
    return closed, tuple(effects)


def start_execution(
    request: ApprovalRequest, agent: Agent, *, global_kill_switch: bool, now: datetime
) -> ApprovalRequest:
    """The single hand-off of an approved trade to execution."""
    if request.kind is not RequestKind.TRADE:
        raise InvalidTransitionError("config promotions are applied on approval, not executed")
    if agent.id != request.agent_id:
        raise ValidationError("request belongs to another agent", fields={"agent_id": "mismatch"})
    moved = _move(request, (RequestState.APPROVED,), "execute")
    require_may_trade(agent, global_kill_switch=global_kill_switch)
    return replace(
        moved, state=RequestState.EXECUTING, state_reason=f"executing since {now.isoformat()}"
    )


def finish_execution(
    request: ApprovalRequest, *, succeeded: bool, now: datetime, reason: str | None = None
) -> tuple[ApprovalRequest, tuple[Effect, ...]]:
    moved = _move(request, (RequestState.EXECUTING,), "finish")
    state = RequestState.EXECUTED if succeeded else RequestState.FAILED
    done = replace(moved, state=state, state_reason=reason or state.value)
    topic = NoticeTopic.EXECUTED if succeeded else NoticeTopic.FAILED
    return done, (notice(done, topic),)


def may_view(request: ApprovalRequest, actor: Actor, agent: Agent) -> bool:
    """The agent's people, admins, the proposer and anyone in the request's snapshots."""
    if may(Action.VIEW_REQUESTS, actor, agent):
        return True
    return actor.user_id is not None and actor.user_id in {
        request.proposer_id,
        *request.eligible_approver_ids,
        *request.escalation_approver_ids,
    }
