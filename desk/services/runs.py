"""Analysis runs: start, execute (the research loop), cancel, history, events, recovery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from desk.domain import runs as rules
from desk.domain.agents import active_version
from desk.domain.errors import ConcurrencyError, ConflictError, NotFoundError, ValidationError
from desk.domain.permissions import Action, require
from desk.domain.research import Budget, ResearchRequest, ResearchResult, StopReason
from desk.domain.runs import AnalysisRun, RunEvent, RunMode, RunStatus
from desk.domain.users import Actor
from desk.services import audit, run_history
from desk.services.agents import visible_agent
from desk.services.ports.context import Context
from desk.services.ports.events import DomainEvent
from desk.services.ports.research_engine import EventSink, ResearchEngine, RunSetup
from desk.services.ports.store import UnitOfWork
from desk.services.research_loop import PollingCancel, run_research
from desk.services.transactions import Done, Once, atomically, once

MAX_QUERY = 4_000
RUN_EVENT_TOPIC = "run.event"
# Run history lives in run_history; these names stay importable from here.
RunPage = run_history.RunPage
list_runs = run_history.list_runs
ProposalSink = Callable[[AnalysisRun, list[dict[str, Any]]], list[str]]


def _load(uow: UnitOfWork, actor: Actor, agent_id: str, run_id: str) -> AnalysisRun:
    visible_agent(uow, actor, agent_id)
    run = uow.runs.get(run_id)
    if run is None or run.agent_id != agent_id:
        raise NotFoundError(f"no run {run_id!r} for this agent", fields={"run_id": "unknown run"})
    return run


def start_run(
    ctx: Context,
    engine: ResearchEngine,
    actor: Actor,
    agent_id: str,
    *,
    query: str | None = None,
    replay: str | None = None,
    model: str | None = None,
    config_version: int | None = None,
) -> AnalysisRun:
    """A pending run for the agent's active config (or a chosen version, owner/admin only).

    With ``replay`` the recorded transcript supplies query and model and no network is used.
    """
    return start_run_once(
        ctx, engine, actor, agent_id, query=query, replay=replay, model=model,
        config_version=config_version,
    ).value  # fmt: skip


def start_run_once(
    ctx: Context,
    engine: ResearchEngine,
    actor: Actor,
    agent_id: str,
    *,
    query: str | None = None,
    replay: str | None = None,
    model: str | None = None,
    config_version: int | None = None,
    idempotency_key: str | None = None,
    async_mode: bool | None = None,
) -> Done[AnalysisRun]:
    """:func:`start_run` with an ``Idempotency-Key``: a replay returns the run it started
    (as it is now, ``replayed`` set) and starts nothing; the caller then must not submit it
    again. ``async_mode`` only takes part in the request's fingerprint."""
    text = (query or "").strip()
    if replay is None and not text:
        raise ValidationError("a run needs a query (or a replay)", fields={"query": "required"})
    if len(text) > MAX_QUERY:
        raise ValidationError(f"query is over {MAX_QUERY} characters", fields={"query": "too long"})
    recorded = engine.replay_request(replay) if replay is not None else None

    def work(uow: UnitOfWork) -> AnalysisRun:
        agent = visible_agent(uow, actor, agent_id)
        require(Action.EDIT_CONFIG, actor, agent)  # owner or admin starts runs
        if agent.is_paused:
            raise ConflictError(
                f"agent {agent.name!r} is paused; resume it first", fields={"agent_id": "paused"}
            )
        versions = uow.agents.versions(agent.id)
        chosen = (
            next((v for v in versions if v.version == config_version), None)
            if config_version is not None
            else active_version(versions)
        )
        if chosen is None:
            why = (
                "no such config version"
                if config_version is not None
                else "the agent has no paper or live config yet; pass config_version for a draft"
            )
            raise ValidationError(why, fields={"config_version": "unavailable"})
        run = AnalysisRun(
            id=ctx.ids.new_id(), agent_id=agent.id, config_version=chosen.version,
            query=recorded.query if recorded else text,
            model=recorded.model if recorded else (model or chosen.config.model),
            status=RunStatus.PENDING, mode=RunMode.REPLAY if replay else RunMode.LIVE,
            replay=replay, created_by=actor.user_id or "system", created_at=ctx.clock.now(),
        )  # fmt: skip
        uow.runs.add(run)
        audit.record(
            ctx, uow, actor, "run.created", subject_type="analysis_run", subject_id=run.id,
            payload={"agent_id": agent.id, "config_version": chosen.version, "mode": run.mode.value,
                     "model": run.model},
        )  # fmt: skip
        return run

    request = {
        "agent_id": agent_id, "query": text, "replay": replay, "model": model,
        "config_version": config_version, "async_mode": async_mode,
    }  # fmt: skip
    return once(ctx, actor, idempotency_key, _START, request=request, work=work)


def _replay_start(uow: UnitOfWork, stored: dict[str, Any], _request: Any) -> AnalysisRun:
    run = uow.runs.get(stored["run_id"])
    if run is None:
        raise NotFoundError(f"no run {stored['run_id']!r}")
    return run


_START: Once[AnalysisRun] = Once(
    "run.start", record=lambda run: {"run_id": run.id}, replay=_replay_start
)


def _append(ctx: Context, run_id: str, kind: str, payload: dict[str, Any]) -> RunEvent:
    def work(uow: UnitOfWork) -> RunEvent:
        event = uow.runs.append_event(run_id, kind, payload, ctx.clock.now())
        uow.emit(
            DomainEvent(RUN_EVENT_TOPIC, run_id, event.created_at, {"seq": event.seq, "kind": kind})
        )
        return event

    return atomically(ctx, work)


def _transition(
    ctx: Context, run_id: str, change: Callable[[AnalysisRun], AnalysisRun]
) -> AnalysisRun:
    def work(uow: UnitOfWork) -> AnalysisRun:
        run = uow.runs.get(run_id)
        if run is None:
            raise NotFoundError(f"no run {run_id!r}")
        moved = change(run)
        if not uow.runs.save(moved, expected_status=run.status):
            raise ConcurrencyError("the run moved; retry")
        if moved.status is not run.status:
            uow.emit(
                DomainEvent("run.status", run_id, ctx.clock.now(), {"status": moved.status.value})
            )
        return moved

    return atomically(ctx, work)


async def execute_run(
    ctx: Context, engine: ResearchEngine, run_id: str, *, proposals: ProposalSink | None = None
) -> AnalysisRun:
    """The worker: pending → running → completed | failed | canceled. Never raises for a
    failing run; the failure is recorded on the run and as an error event."""
    with ctx.uow(write=False) as uow:
        run = uow.runs.get(run_id)
        agent = uow.agents.get(run.agent_id) if run else None
        versions = uow.agents.versions(run.agent_id) if run else []
    if run is None or agent is None:
        raise NotFoundError(f"no run {run_id!r}")
    if run.cancel_requested and run.status is RunStatus.PENDING:
        return _transition(
            ctx, run_id, lambda r: rules.finish(r, RunStatus.CANCELED, ctx.clock.now())
        )
    version = next(v for v in versions if v.version == run.config_version)
    run = _transition(ctx, run_id, lambda r: rules.start(r, ctx.clock.now()))
    setup = RunSetup(run.id, agent.owner_id, run.model, version.config.tools, run.replay)

    async def on_event(kind: str, payload: dict[str, Any]) -> None:
        await asyncio.to_thread(_append, ctx, run.id, kind, payload)

    def cancelled() -> bool:
        with ctx.uow(write=False) as uow:
            return uow.runs.cancel_requested(run.id)

    try:
        async with engine.session(setup) as session:
            request = (
                replace(engine.replay_request(run.replay), run_id=run.id)
                if run.replay is not None
                else ResearchRequest(
                    run_id=run.id, model=run.model, system_prompt=version.config.system_prompt,
                    query=run.query, config_version=version.version, notes=session.notes,
                    budget=Budget(max_steps=version.config.max_steps,
                                  max_tokens=version.config.max_tokens,
                                  max_cost_usd=version.config.max_cost_usd),
                )
            )  # fmt: skip
            recording = engine.recording(request) if run.replay is None else None
            llm, toolbox = session.llm, session.toolbox
            sink: EventSink = on_event
            if recording is not None:
                llm, toolbox = recording.llm(llm), recording.toolbox(toolbox)
                sink = recording.events(on_event)
            result = await run_research(
                request, llm, toolbox, on_event=sink,
                cancel=PollingCancel(cancelled, interval_s=0.25),
            )  # fmt: skip
            if recording is not None:
                name = await asyncio.to_thread(recording.save)
                await asyncio.to_thread(_append, ctx, run.id, "recorded", {"transcript": name})
    except Exception as exc:  # the run records its own failure; the worker survives
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        await asyncio.to_thread(
            _append, ctx, run.id, "error", {"code": "run_failed", "message": message[:500]}
        )
        return _transition(
            ctx, run.id,
            lambda r: rules.finish(r, RunStatus.FAILED, ctx.clock.now(), error=message[:2000]),
        )  # fmt: skip
    return await asyncio.to_thread(_complete, ctx, run.id, result, proposals)


def execute_run_blocking(
    ctx: Context, engine: ResearchEngine, run_id: str, *, proposals: ProposalSink | None = None
) -> AnalysisRun:
    """:func:`execute_run` from synchronous code, also inside a running event loop (Jupyter)."""

    def go() -> AnalysisRun:
        return asyncio.run(execute_run(ctx, engine, run_id, proposals=proposals))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return go()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-run-sync") as pool:
        return pool.submit(go).result()


def _complete(
    ctx: Context, run_id: str, result: ResearchResult, proposals: ProposalSink | None
) -> AnalysisRun:
    ideas = [_idea(i) for i in result.proposals]
    status = {
        StopReason.ANSWERED: RunStatus.COMPLETED,
        StopReason.CANCELED: RunStatus.CANCELED,
        StopReason.FAILED: RunStatus.FAILED,
    }.get(result.stop_reason, RunStatus.COMPLETED)  # budget stops complete with what they have
    fields: dict[str, Any] = {
        "stop_reason": result.stop_reason.value,
        "result_text": result.report,
        "proposals": tuple(ideas),
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "cost_usd": result.usage.cost_usd,
        "steps": result.steps,
        "error": "; ".join(result.errors)[:2000] or None if status is RunStatus.FAILED else None,
    }
    done = _transition(ctx, run_id, lambda r: rules.finish(r, status, ctx.clock.now(), **fields))
    if ideas and status is RunStatus.COMPLETED and proposals is not None:
        proposals(done, ideas)
    return done


def _idea(idea: Any) -> dict[str, Any]:
    return {
        "instrument": idea.instrument, "side": idea.side.value, "quantity": idea.quantity,
        "order_type": idea.order_type, "product": idea.product, "rationale": idea.rationale,
        "price": str(idea.price) if idea.price is not None else None,
        "trigger_price": str(idea.trigger_price) if idea.trigger_price is not None else None,
        "evidence": [
            {"url": c.url, "opened": c.opened, "content_sha256": c.content_sha256,
             "fetched_at": c.fetched_at.isoformat() if c.fetched_at else None}
            for c in idea.evidence
        ],
    }  # fmt: skip


def cancel_run(ctx: Context, actor: Actor, agent_id: str, run_id: str) -> AnalysisRun:
    """Pending runs cancel at once; a running run stops at its next check (within a second)."""

    def work(uow: UnitOfWork) -> AnalysisRun:
        run = _load(uow, actor, agent_id, run_id)
        agent = visible_agent(uow, actor, agent_id)
        require(Action.EDIT_CONFIG, actor, agent)
        rules.request_cancel(run)  # raises ConflictError with the state when terminal
        uow.runs.request_cancel(run.id)
        audit.record(
            ctx, uow, actor, "run.cancel_requested", subject_type="analysis_run",
            subject_id=run.id, payload={"status": run.status.value},
        )  # fmt: skip
        if run.status is RunStatus.PENDING:
            moved = rules.finish(
                replace(run, cancel_requested=True), RunStatus.CANCELED, ctx.clock.now()
            )
            if not uow.runs.save(moved, expected_status=RunStatus.PENDING):
                raise ConcurrencyError("the run started meanwhile; retry")
            return moved
        return replace(run, cancel_requested=True)

    return atomically(ctx, work)


def get_run(ctx: Context, actor: Actor, agent_id: str, run_id: str) -> AnalysisRun:
    with ctx.uow(write=False) as uow:
        return _load(uow, actor, agent_id, run_id)


def list_events(
    ctx: Context, actor: Actor, agent_id: str, run_id: str, *, after: int = 0, limit: int = 100
) -> list[RunEvent]:
    if after < 0 or not 1 <= limit <= 500:
        raise ValidationError("after must be ≥ 0 and limit 1-500", fields={"limit": "out of range"})
    with ctx.uow(write=False) as uow:
        _load(uow, actor, agent_id, run_id)
        return uow.runs.events(run_id, after=after, limit=limit)


def recover_interrupted(ctx: Context) -> list[str]:
    """On start-up: runs left pending or running by a previous process are marked failed."""
    with ctx.uow(write=False) as uow:
        stale = [r.id for r in uow.runs.unfinished()]
    for run_id in stale:
        _transition(
            ctx, run_id,
            partial(_fail_interrupted, now=ctx.clock.now()),
        )  # fmt: skip
        _append(
            ctx,
            run_id,
            "error",
            {"code": "interrupted", "message": "the service restarted during this run"},
        )
    return stale


def _fail_interrupted(run: AnalysisRun, *, now: datetime) -> AnalysisRun:
    return rules.finish(
        run, RunStatus.FAILED, now, error="interrupted: the service restarted during this run"
    )
