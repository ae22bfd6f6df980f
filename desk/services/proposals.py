"""Trade proposals: parse, resolve the instrument, run every risk check, then either store
the proposal ``blocked`` with all its failures or open a trade approval request.

Sources: a research run (its structured proposals), a notebook, or the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import structlog

from desk.domain.agent_lifecycle import pause
from desk.domain.agents import active_version
from desk.domain.approvals import require_may_trade
from desk.domain.clock import IST
from desk.domain.errors import DeskError, NotFoundError, PermissionDeniedError, ValidationError
from desk.domain.instruments import Instrument, parse_instruments_csv
from desk.domain.orders import TradeProposal, parse_proposal
from desk.domain.permissions import Action, may
from desk.domain.proposals import ProposalRecord, ProposalStatus
from desk.domain.risk.engine import run_checks
from desk.domain.risk.model import (
    CheckResult,
    RiskContext,
    RiskLimits,
    RiskReport,
    order_value_paise,
)
from desk.domain.users import Actor
from desk.services import audit
from desk.services.agents import visible_agent
from desk.services.approvals import open_trade_request
from desk.services.ports.context import Context
from desk.services.ports.events import DomainEvent
from desk.services.ports.market_view import MarketView
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import Once, atomically, once

MAX_PAGE_SIZE = 100
INSTRUMENTS_LOADED = "instruments.loaded"
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ProposalOutcome:
    proposal: ProposalRecord
    request_id: str | None
    report: RiskReport


def load_instruments(ctx: Context, actor: Actor, csv_text: str) -> int:
    """Replace the instruments master of every exchange in the CSV (Kite's /instruments)."""
    if not actor.is_admin:
        raise PermissionDeniedError("only admins may load the instruments master")
    items = parse_instruments_csv(csv_text)
    if not items:
        raise ValidationError("the instruments CSV has no rows", fields={"csv": "empty"})

    def work(uow: UnitOfWork) -> int:
        count = uow.instruments.replace_exchanges(items, ctx.clock.now())
        uow.emit(DomainEvent(INSTRUMENTS_LOADED, "instruments", ctx.clock.now(), {"count": count}))
        audit.record(
            ctx, uow, actor, "instruments.loaded", subject_type="instruments", subject_id=None,
            payload={"count": count, "exchanges": sorted({i.exchange for i in items})},
        )  # fmt: skip
        return count

    return atomically(ctx, work)


def _today_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(IST).date(), time(0), tzinfo=IST)


def risk_context(
    uow: UnitOfWork, market: MarketView, agent_id: str, proposal: TradeProposal, now: datetime
) -> tuple[RiskContext, Instrument | None]:
    pending = market.start_snapshot(proposal)  # LTP, position, P&L, margins: one round trip
    instrument = uow.instruments.get(proposal.exchange, proposal.tradingsymbol)
    count, notional = uow.proposals.submitted_since(agent_id, _today_start(now))
    known = () if instrument else tuple(uow.instruments.symbols(proposal.exchange))
    snap = pending()  # the database reads above overlapped the broker's
    context = RiskContext(
        now=now,
        instrument=instrument,
        ltp=snap.ltp,
        orders_today=count,
        notional_today_paise=notional,
        position_quantity=snap.position_quantity,
        realized_pnl_today_paise=snap.realized_pnl_today_paise,
        available_margin_paise=snap.available_margin_paise,
        required_margin_paise=snap.required_margin_paise,
        known_symbols=known,
    )
    return context, instrument


def _json_proposal(p: TradeProposal, extra: Mapping[str, Any]) -> dict[str, Any]:
    data = asdict(p)
    for key, value in list(data.items()):
        if isinstance(value, Decimal):
            data[key] = str(value)
        elif isinstance(value, tuple):
            data[key] = list(value)
        elif hasattr(value, "value"):
            data[key] = value.value
    return {**data, **extra}


def _checks(report: RiskReport) -> tuple[dict[str, Any], ...]:
    return tuple({"name": c.name, "passed": c.passed, "message": c.message} for c in report.results)


def submit_proposal(
    ctx: Context,
    market: MarketView,
    actor: Actor,
    agent_id: str,
    data: Mapping[str, Any],
    *,
    run_id: str | None = None,
    proposer_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> ProposalOutcome:
    """Parse (422 on malformed input), check risk, store, and open a request when it passes.
    A replayed ``idempotency_key`` returns the proposal it stored (checks are not re-run)."""
    proposal = parse_proposal(data)

    def work(uow: UnitOfWork) -> ProposalOutcome:
        agent = visible_agent(uow, actor, agent_id)
        if actor.user_id is not None and not may(Action.EDIT_CONFIG, actor, agent):
            raise PermissionDeniedError("only the agent's owner or an admin may propose trades")
        version = active_version(uow.agents.versions(agent.id))
        if version is None:
            raise ValidationError(
                "the agent has no paper or live config; promote one first",
                fields={"agent_id": "no active config"},
            )
        now = ctx.clock.now()
        limits = RiskLimits().with_overrides(version.config.risk_limits)
        context, instrument = risk_context(uow, market, agent.id, proposal, now)
        report = run_checks(proposal, limits, context)
        gate = _trading_gate(uow, agent)
        if gate is not None:
            report = RiskReport((*report.results, gate))
        value = order_value_paise(proposal, context.ltp)
        record = ProposalRecord(
            id=ctx.ids.new_id(), agent_id=agent.id, run_id=run_id,
            proposer_id=proposer_id or actor.user_id or agent.owner_id,
            status=ProposalStatus.SUBMITTED if report.passed else ProposalStatus.BLOCKED,
            instrument=proposal.instrument_key, side=proposal.transaction_type.value,
            quantity=proposal.quantity, value_paise=value, ltp_at_creation=context.ltp,
            proposal=_json_proposal(proposal, {**(extra or {}), "config_version": version.version}),
            risk=_checks(report), request_id=None, created_at=now,
        )  # fmt: skip
        uow.proposals.add(record)
        request_id = None
        if report.passed:
            details = _request_details(record, proposal, instrument)
            request = open_trade_request(
                ctx, uow, agent_id=agent.id, subject_id=record.id,
                proposer_id=record.proposer_id, details=details,
            )  # fmt: skip
            uow.proposals.set_request(record.id, request.id)
            request_id = request.id
        elif report.pause_agent:
            paused = pause(agent, Actor.system(label="risk"), "daily realized loss limit reached")
            if paused != agent:
                uow.agents.update(paused, now)
        audit.record(
            ctx, uow, actor, "proposal.submitted" if report.passed else "proposal.blocked",
            subject_type="proposal", subject_id=record.id,
            payload={"agent_id": agent.id, "instrument": record.instrument, "side": record.side,
                     "quantity": record.quantity, "run_id": run_id, "request_id": request_id,
                     "failed": [c["name"] for c in record.failed_checks]},
        )  # fmt: skip
        return ProposalOutcome(record, request_id, report)

    request = {"agent_id": agent_id, "data": dict(data), "run_id": run_id,
               "proposer_id": proposer_id, "extra": dict(extra or {})}  # fmt: skip
    return once(ctx, actor, idempotency_key, _SUBMIT, request=request, work=work).value


def _replay_submit(uow: UnitOfWork, stored: dict[str, Any], _request: Any) -> ProposalOutcome:
    record = uow.proposals.get(stored["proposal_id"])
    if record is None:
        raise NotFoundError(f"no proposal {stored['proposal_id']!r}")
    checks = tuple(CheckResult(c["name"], c["passed"], c["message"]) for c in record.risk)
    return ProposalOutcome(record, record.request_id, RiskReport(checks))


_SUBMIT: Once[ProposalOutcome] = Once(
    "proposal.submit", record=lambda o: {"proposal_id": o.proposal.id}, replay=_replay_submit
)


def _trading_gate(uow: UnitOfWork, agent: Any) -> CheckResult | None:
    """Kill switches and pauses block new trades: recorded as a failed check, never dropped."""
    try:
        require_may_trade(agent, global_kill_switch=uow.agents.global_kill_switch().on)
    except DeskError as exc:
        return CheckResult("trading_allowed", False, exc.message)
    return None


def _request_details(
    record: ProposalRecord, proposal: TradeProposal, instrument: Instrument | None
) -> dict[str, Any]:
    return {
        "proposal_id": record.id,
        "run_id": record.run_id,
        "instrument": record.instrument,
        "side": record.side,
        "quantity": record.quantity,
        "order_type": proposal.order_type.value,
        "product": proposal.product.value,
        "price": str(proposal.price) if proposal.price is not None else None,
        "trigger_price": str(proposal.trigger_price) if proposal.trigger_price else None,
        "value_paise": record.value_paise,
        "ltp_at_creation": str(record.ltp_at_creation) if record.ltp_at_creation else None,
        "rationale": proposal.rationale,
        "evidence": record.proposal.get("evidence_detail") or list(proposal.evidence),
        "risk": list(record.risk),
        "lot_size": instrument.lot_size if instrument else None,
    }


def get_proposal(ctx: Context, actor: Actor, proposal_id: str) -> ProposalRecord:
    with ctx.uow(write=False) as uow:
        record = uow.proposals.get(proposal_id)
        if record is None:
            raise NotFoundError(f"no proposal {proposal_id!r}", fields={"proposal_id": "unknown"})
        visible_agent(uow, actor, record.agent_id)
        return record


def list_proposals(
    ctx: Context,
    actor: Actor,
    *,
    agent_id: str | None = None,
    status: str | None = None,
    run_id: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[ProposalRecord], int]:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"page ≥ 1, page_size 1-{MAX_PAGE_SIZE}", fields={"page_size": "range"}
        )
    try:
        wanted = ProposalStatus(status) if status else None
    except ValueError:
        raise ValidationError(
            "status must be blocked or submitted", fields={"status": "unknown"}
        ) from None
    with ctx.uow(write=False) as uow:
        if agent_id is not None:
            visible_agent(uow, actor, agent_id)
            agent_ids: Sequence[str] | None = [agent_id]
        elif actor.is_admin:
            agent_ids = None
        else:
            agent_ids = [a.id for a in uow.agents.list_visible(visible_to=actor.user_id or "-")]
        return uow.proposals.search(
            agent_ids=agent_ids, status=wanted, run_id=run_id, limit=page_size,
            offset=(page - 1) * page_size,
        )  # fmt: skip


def from_run(
    ctx: Context,
    market: MarketView,
    run_agent_id: str,
    run_id: str,
    ideas: Sequence[Mapping[str, Any]],
) -> list[str]:
    """A completed run's structured proposals into the pipeline (the run's ProposalSink).

    Each idea carries ``instrument`` as ``EXCHANGE:SYMBOL`` and its evidence (URLs the run
    opened, with content hashes); a malformed one is stored nowhere and reported back.
    """
    system = Actor.system(label="research-run")
    ids: list[str] = []
    for idea in ideas:
        exchange, _, symbol = str(idea.get("instrument", "")).partition(":")
        data = {
            "exchange": exchange, "tradingsymbol": symbol,
            "transaction_type": idea.get("side"), "quantity": idea.get("quantity"),
            "order_type": idea.get("order_type"), "product": idea.get("product"),
            "price": idea.get("price"), "trigger_price": idea.get("trigger_price"),
            "rationale": idea.get("rationale") or "",
            "evidence": [e["url"] for e in idea.get("evidence", []) if e.get("opened")],
        }  # fmt: skip
        try:
            outcome = submit_proposal(
                ctx, market, system, run_agent_id, data, run_id=run_id,
                extra={"evidence_detail": list(idea.get("evidence", []))},
            )  # fmt: skip
        except ValidationError as exc:  # a malformed idea: reported, nothing stored
            log.warning("run_proposal_invalid", run_id=run_id, error=exc.message)
            continue
        ids.append(outcome.proposal.id)
    return ids
