"""Analysis runs of an agent: start, history, status, cancel, events (paged and SSE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from sse_starlette import EventSourceResponse

from desk.api import sse
from desk.api.deps import ActorDep, IdempotencyKeyDep, RuntimeDep, ServerDep
from desk.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageParams
from desk.api.params import IdPath
from desk.api.schemas.common import ERROR_RESPONSES
from desk.api.schemas.runs import (
    AnalyzeBody,
    AnalyzeOut,
    RunEventOut,
    RunEventPageOut,
    RunOut,
    RunPageOut,
    RunStatusOut,
)
from desk.domain.errors import ValidationError
from desk.domain.runs import RunOrdering
from desk.services import runs

router = APIRouter(prefix="/api/v1/agents/{id}", tags=["analysis runs"], responses=ERROR_RESPONSES)

STATUS_PATTERN = (
    r"^(pending|running|completed|failed|canceled)(,(pending|running|completed|failed|canceled))*$"
)
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
Ordering = RunOrdering
RUN = "/analysis-runs/{run_id}"


def _urls(request: Request, agent_id: str, run_id: str) -> tuple[str, str]:
    base = f"/api/v1/agents/{agent_id}/analysis-runs/{run_id}"
    root = str(request.base_url).rstrip("/")
    return f"{root}{base}/status/", f"{root}{base}/events/stream/"


@router.post(
    "/analyze/",
    response_model=AnalyzeOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a research run (async by default; async_mode false waits for it)",
    responses={200: {"model": AnalyzeOut, "description": "The finished run (async_mode false)."}},
)
def analyze(
    request: Request,
    response: Response,
    *,
    runtime: RuntimeDep,
    server: ServerDep,
    actor: ActorDep,
    id: IdPath,
    body: AnalyzeBody,
    key: IdempotencyKeyDep,
) -> AnalyzeOut:
    """202 with the pending run and its status URL, or 200 with the finished run.

    Replaying an `Idempotency-Key` returns the run that key started, as it is now (200 once
    it is finished, else 202), and starts nothing."""
    started = runs.start_run_once(
        runtime, server.engine, actor, id, query=body.query, replay=body.replay,
        model=body.model, config_version=body.config_version, idempotency_key=key,
        async_mode=body.async_mode,
    )  # fmt: skip
    run = started.value
    background = body.async_mode
    if background is None:
        background = runtime.settings.agent_analysis_async_default
    if started.replayed:
        if run.is_terminal:
            response.status_code = status.HTTP_200_OK
    elif background:
        server.runner.submit(run.id)
    else:
        run = server.runner.run_now(run.id)
        response.status_code = status.HTTP_200_OK
    status_url, stream_url = _urls(request, id, run.id)
    return AnalyzeOut(**RunOut.of(run).model_dump(), status_url=status_url, stream_url=stream_url)


@router.get("/analysis-runs/", response_model=RunPageOut, summary="Run history")
def list_runs(
    request: Request,
    runtime: RuntimeDep,
    actor: ActorDep,
    id: IdPath,
    *,
    status_: Annotated[
        str | None,
        Query(
            alias="status",
            pattern=STATUS_PATTERN,
            examples=["completed,failed"],
            description="One status or a comma list.",
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Matches the query, model and result text."),
    ] = None,
    date_from: Annotated[
        str | None, Query(pattern=DATE_PATTERN, description="YYYY-MM-DD, IST, inclusive.")
    ] = None,
    date_to: Annotated[
        str | None, Query(pattern=DATE_PATTERN, description="YYYY-MM-DD, IST, inclusive.")
    ] = None,
    order_by: Ordering = "-created_at",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> Response:
    """`count` is exact unless `count_exact` is false (free-text searches count up to 1,000)."""
    found = runs.list_runs(
        runtime, actor, id, status=status_, q=q, date_from=date_from, date_to=date_to,
        order_by=order_by, page=page, page_size=page_size,
    )  # fmt: skip
    paging = PageParams(page=page, page_size=page_size, request=request)
    built = paging.build([RunOut.of(r) for r in found.items], found.count)
    out = RunPageOut(**dict(built), count_exact=found.count_exact)
    # Already validated: serialized once here, instead of FastAPI validating the page again
    # (in a second thread-pool hop for a sync route) before serializing it.
    return Response(out.model_dump_json(), media_type="application/json")


@router.get(RUN + "/", response_model=RunOut, summary="One run in full")
def get_run(runtime: RuntimeDep, actor: ActorDep, id: IdPath, run_id: IdPath) -> RunOut:
    return RunOut.of(runs.get_run(runtime, actor, id, run_id))


@router.get(RUN + "/status/", response_model=RunStatusOut, summary="A run's status (compact)")
def run_status(runtime: RuntimeDep, actor: ActorDep, id: IdPath, run_id: IdPath) -> RunStatusOut:
    return RunStatusOut.of(runs.get_run(runtime, actor, id, run_id))


@router.post(
    RUN + "/cancel/",
    response_model=RunStatusOut,
    summary="Cancel a pending or running run (409 with the state otherwise)",
)
def cancel_run(
    runtime: RuntimeDep, actor: ActorDep, id: IdPath, run_id: IdPath, _key: IdempotencyKeyDep
) -> RunStatusOut:
    return RunStatusOut.of(runs.cancel_run(runtime, actor, id, run_id))


@router.get(RUN + "/events/", response_model=RunEventPageOut, summary="A run's events, in order")
def run_events(
    runtime: RuntimeDep,
    actor: ActorDep,
    id: IdPath,
    run_id: IdPath,
    *,
    after: Annotated[int, Query(ge=0, le=2**62, description="Events with seq > after.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RunEventPageOut:
    events = runs.list_events(runtime, actor, id, run_id, after=after, limit=limit)
    return RunEventPageOut(
        results=[RunEventOut.of(e) for e in events],
        next_after=events[-1].seq if events else after,
        more=len(events) == limit,
    )


@router.get(
    RUN + "/events/stream/",
    summary="Server-Sent Events: past events, then live ones, until the run ends",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "`text/event-stream`: `run_event` messages (id = seq, data = a "
            "RunEvent as JSON), comment pings every 15 s, and a final `end` event.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
def stream_run_events(
    request: Request,
    runtime: RuntimeDep,
    actor: ActorDep,
    id: IdPath,
    run_id: IdPath,
    *,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Start after this seq.")] = None,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=20, description="Resume after this seq."),
    ] = None,
) -> EventSourceResponse:
    runs.get_run(runtime, actor, id, run_id)  # 404 before the stream starts
    start = after or 0
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise ValidationError(
                "Last-Event-ID must be an event seq", fields={"Last-Event-ID": "not a number"}
            )
        start = max(start, int(text))
    feeds = _feeds(request, runtime)
    return EventSourceResponse(
        sse.run_events(feeds, runtime, actor, agent_id=id, run_id=run_id, after=start),
        ping=sse.PING_SECONDS,
    )


def _feeds(request: Request, runtime: RuntimeDep) -> sse.RunFeeds:
    """One :class:`~desk.api.sse.RunFeeds` per app (created on first use)."""
    feeds: sse.RunFeeds | None = getattr(request.app.state, "run_feeds", None)
    if feeds is None:
        feeds = request.app.state.run_feeds = sse.RunFeeds(runtime)
    return feeds
