"""From an approved trade request to one order and a final state.

``execute_request`` re-runs every risk check and the stale-approval guard at execution time
(one read of the store, overlapping one concurrent round of broker reads), hands the request
to execution exactly once (``approved → executing`` is a conditional update, committed with
the execution intent), places the order through the exactly-once executor (idempotency tag,
reconcile before any retry of an intent that may have reached the broker), and records
``executed`` or ``failed`` when the broker says so. A request whose price moved too far goes
back for re-approval as a new request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from desk.domain import approvals as rules
from desk.domain.agents import active_version
from desk.domain.approval_model import ApprovalRequest, RequestKind, RequestState
from desk.domain.broker import OrderIntent
from desk.domain.errors import ConflictError, DeskError, NotFoundError
from desk.domain.execution import ExecutionIntent
from desk.domain.orders import TradeProposal, parse_proposal
from desk.domain.proposals import ProposalRecord
from desk.domain.risk.engine import run_checks, stale_approval
from desk.domain.risk.model import RiskLimits, RiskReport
from desk.domain.users import Actor
from desk.services import approvals, audit
from desk.services.approvals import open_trade_request
from desk.services.execution import (
    ExecutionResult,
    Executor,
    execute_approved,
    execute_saved,
    fresh_intent,
)
from desk.services.order_tracking import track_order
from desk.services.ports.context import Context
from desk.services.ports.market_view import MarketView
from desk.services.ports.store import UnitOfWork
from desk.services.proposals import risk_context
from desk.services.transactions import atomically

SYSTEM = Actor.system(label="executor")
PLACEHOLDER_TAG = "pending"


class TradeOutcome(StrEnum):
    EXECUTED = "executed"
    FAILED = "failed"
    WORKING = "working"  # placed; the order is open at the broker
    REAPPROVAL = "reapproval"  # price moved too far: a new request awaits approval
    REFUSED = "refused"  # a kill switch or pause: the request stays approved


@dataclass(frozen=True, slots=True)
class TradeResult:
    request_id: str
    outcome: TradeOutcome
    message: str
    order_id: str | None = None
    new_request_id: str | None = None


def _load(uow: UnitOfWork, request_id: str) -> tuple[ApprovalRequest, ProposalRecord]:
    request = uow.approvals.get(request_id)
    if request is None or request.kind is not RequestKind.TRADE:
        raise NotFoundError(f"no trade request {request_id!r}", fields={"request_id": "unknown"})
    proposal = uow.proposals.get_by_request(request_id)
    if proposal is None:
        raise NotFoundError(f"request {request_id} has no proposal")
    return request, proposal


def order_for(proposal: TradeProposal) -> OrderIntent:
    return OrderIntent(
        tag=PLACEHOLDER_TAG,  # replaced by the tag derived from the request
        exchange=proposal.exchange,
        tradingsymbol=proposal.tradingsymbol,
        transaction_type=proposal.transaction_type,
        quantity=proposal.quantity,
        order_type=proposal.order_type,
        product=proposal.product,
        price=proposal.price,
        trigger_price=proposal.trigger_price,
        validity=proposal.validity,
        variety=proposal.variety,
    )


def _parsed(record: ProposalRecord) -> TradeProposal:
    return parse_proposal({k: v for k, v in record.proposal.items() if k != "evidence_detail"})


def _recheck(
    ctx: Context,
    uow: UnitOfWork,
    market: MarketView,
    request: ApprovalRequest,
    record: ProposalRecord,
) -> RiskReport:
    """Every pre-trade check again, now, plus the stale-approval guard."""
    proposal = _parsed(record)
    version = active_version(uow.agents.versions(request.agent_id))
    limits = RiskLimits().with_overrides(version.config.risk_limits if version else {})
    context, _ = risk_context(uow, market, request.agent_id, proposal, ctx.clock.now())
    # This proposal is already among the day's submitted ones; do not count it twice.
    context = replace(
        context,
        orders_today=max(0, context.orders_today - 1),
        notional_today_paise=max(0, context.notional_today_paise - (record.value_paise or 0)),
    )
    report = run_checks(proposal, limits, context)
    if record.ltp_at_creation is not None and context.ltp is not None:
        guard = stale_approval(
            record.ltp_at_creation, context.ltp, Decimal(limits.stale_approval_drift_pct)
        )
        report = RiskReport((*report.results, guard))
    return report


def execute_request(
    ctx: Context, executor: Executor, market: MarketView, request_id: str
) -> TradeResult:
    """Safe to call again (after a crash, from two workers): one order per request, ever."""
    with ctx.uow(write=False) as uow:  # one read for the request and its re-check
        request, record = _load(uow, request_id)
        report = None
        if request.state is RequestState.APPROVED:
            report = _recheck(ctx, uow, market, request, record)
    if request.state is RequestState.EXECUTING:
        return _place(ctx, executor, request_id, _parsed(record))
    if report is None:
        raise ConflictError(
            f"request {request_id} is {request.state.value}; only approved trades execute",
            fields={"state": request.state.value},
        )
    stale = next((c for c in report.failures if c.name == "stale_approval"), None)
    if stale is not None:
        return _reapprove(ctx, request, record, stale.message)
    if not report.passed:
        try:
            approvals.start_execution(ctx, request_id)
        except DeskError as exc:  # kill switch, pause, or another worker won the hand-off
            return TradeResult(request_id, TradeOutcome.REFUSED, exc.message)
        reason = "risk re-check failed: " + report.summary()
        approvals.finish_execution(ctx, request_id, succeeded=False, reason=reason[:500])
        return TradeResult(request_id, TradeOutcome.FAILED, reason)
    fresh = fresh_intent(executor, request_id, order_for(_parsed(record)))

    def hand_off(uow: UnitOfWork) -> ExecutionIntent:
        # approved → executing and the execution intent: one transaction, before any order
        approvals.start_execution_in(ctx, uow, request_id)
        return uow.executions.save_intent(fresh)

    try:
        saved = atomically(ctx, hand_off)
    except DeskError as exc:  # kill switch, pause, or another worker won the hand-off
        return TradeResult(request_id, TradeOutcome.REFUSED, exc.message)
    return _execute(ctx, executor, request_id, lambda: execute_saved(executor, fresh, saved))


def _place(
    ctx: Context, executor: Executor, request_id: str, proposal: TradeProposal
) -> TradeResult:
    order = order_for(proposal)
    return _execute(
        ctx, executor, request_id, lambda: execute_approved(executor, request_id, order)
    )


def _execute(
    ctx: Context, executor: Executor, request_id: str, execute: Callable[[], ExecutionResult]
) -> TradeResult:
    try:
        result = execute()
    except DeskError as exc:
        _audit(ctx, request_id, "execution.error", {"error": exc.message})
        raise
    _audit(
        ctx, request_id, "execution." + result.action.value,
        {"order_id": result.intent.order_id, "tag": result.intent.tag,
         "state": result.intent.state.value},
    )  # fmt: skip
    if result.intent.outcome is None and result.intent.order_id is not None:
        result = track_order(executor, request_id, max_polls=1, known=result.intent)
    return _settle(ctx, request_id, result)


def _settle(ctx: Context, request_id: str, result: ExecutionResult) -> TradeResult:
    intent = result.intent
    outcome = intent.outcome
    if outcome is None:
        message = f"order {intent.order_id or '?'} is {intent.state.value}"
        return TradeResult(request_id, TradeOutcome.WORKING, message, intent.order_id)
    reason = f"order {intent.order_id}: {intent.broker_status or intent.state.value}"
    if intent.status_message or intent.last_error:
        reason += f" ({intent.status_message or intent.last_error})"
    succeeded = outcome.value == "executed"
    with ctx.uow(write=False) as uow:
        state = uow.approvals.get(request_id)
    if state is not None and state.state is RequestState.EXECUTING:
        approvals.finish_execution(ctx, request_id, succeeded=succeeded, reason=reason[:500])
    kind = TradeOutcome.EXECUTED if succeeded else TradeOutcome.FAILED
    return TradeResult(request_id, kind, reason, intent.order_id)


def settle_request(ctx: Context, executor: Executor, request_id: str) -> TradeResult:
    """Poll the broker for a working order and record its final state when it has one."""
    return _settle(ctx, request_id, track_order(executor, request_id, max_polls=1))


def _reapprove(
    ctx: Context, request: ApprovalRequest, record: ProposalRecord, why: str
) -> TradeResult:
    def work(uow: UnitOfWork) -> str:
        current = uow.approvals.get(request.id)
        if current is None or current.state is not RequestState.APPROVED:
            raise ConflictError("the request moved while checking its price; retry")
        agent = uow.agents.get(request.agent_id)
        assert agent is not None
        canceled, _ = rules.cancel(current, SYSTEM, agent, ctx.clock.now(), f"stale: {why}")
        if not uow.approvals.save(canceled, expected_version=current.version, now=ctx.clock.now()):
            raise ConflictError("the request moved while checking its price; retry")
        fresh = open_trade_request(
            ctx, uow, agent_id=request.agent_id, subject_id=record.id,
            proposer_id=record.proposer_id,
            details={**uow.approvals.details(request.id), "reapproval_of": request.id,
                     "reapproval_reason": why},
        )  # fmt: skip
        uow.proposals.set_request(record.id, fresh.id)
        audit.record(
            ctx, uow, SYSTEM, "execution.stale_reapproval", subject_type="approval_request",
            subject_id=request.id, payload={"reason": why, "new_request_id": fresh.id},
        )  # fmt: skip
        return fresh.id

    new_id = atomically(ctx, work)
    return TradeResult(request.id, TradeOutcome.REAPPROVAL, why, new_request_id=new_id)


def _audit(ctx: Context, request_id: str, action: str, payload: dict[str, object]) -> None:
    def work(uow: UnitOfWork) -> None:
        audit.record(
            ctx, uow, SYSTEM, action, subject_type="approval_request", subject_id=request_id,
            payload=payload,
        )  # fmt: skip

    atomically(ctx, work)


def expire_intraday(ctx: Context) -> list[str]:
    """MIS trade requests still pending at the agent's cutoff before the close expire."""
    from desk.domain.market_calendar import is_past_mis_cutoff

    now = ctx.clock.now()
    expired: list[str] = []
    for request_id in approvals.trade_requests_in(ctx, RequestState.PENDING):

        def work(uow: UnitOfWork, rid: str = request_id) -> bool:
            request = uow.approvals.get(rid)
            if request is None or request.state is not RequestState.PENDING:
                return False
            if uow.approvals.details(rid).get("product") != "MIS":
                return False
            version = active_version(uow.agents.versions(request.agent_id))
            limits = RiskLimits().with_overrides(version.config.risk_limits if version else {})
            if not is_past_mis_cutoff(now, limits.mis_cutoff_minutes):
                return False
            closed = rules.expire(request, now, "intraday (MIS) request not approved before cutoff")
            if not uow.approvals.save(closed, expected_version=request.version, now=now):
                raise ConflictError("the request moved; retry")
            audit.record(
                ctx, uow, SYSTEM, "approval.expired", subject_type="approval_request",
                subject_id=rid, payload={"reason": closed.state_reason},
            )  # fmt: skip
            return True

        if atomically(ctx, work):
            expired.append(request_id)
    return expired
