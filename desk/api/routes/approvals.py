"""Approval requests: list, the caller's queue, detail, decide, cancel, live notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sse_starlette import EventSourceResponse

from desk.api import sse
from desk.api.deps import ActorDep, IdempotencyKeyDep, RuntimeDep
from desk.api.pagination import PageDep
from desk.api.params import REF_PATTERN, IdPath
from desk.api.schemas.approvals import (
    CancelBody,
    DecideBody,
    DecideOut,
    RequestDetailOut,
    RequestOut,
)
from desk.api.schemas.common import ERROR_RESPONSES, Page
from desk.services import approvals, order_book

router = APIRouter(
    prefix="/api/v1/approval-requests", tags=["approvals"], responses=ERROR_RESPONSES
)

STATES = "pending|approved|rejected|expired|canceled|executing|executed|failed"
STATE_PATTERN = rf"^({STATES})(,({STATES}))*$"


@router.get("/", response_model=Page[RequestOut], summary="Requests you may see, newest first")
def list_requests(
    runtime: RuntimeDep,
    actor: ActorDep,
    paging: PageDep,
    *,
    state: Annotated[
        str | None, Query(pattern=STATE_PATTERN, examples=["pending"], description="Comma list.")
    ] = None,
    kind: Annotated[str | None, Query(pattern=r"^(trade|config_promotion)$")] = None,
    agent: Annotated[str | None, Query(pattern=REF_PATTERN, description="An agent id.")] = None,
) -> Page[RequestOut]:
    found = approvals.list_requests(
        runtime, actor, state=state, kind=kind, agent_id=agent, page=paging.page,
        page_size=paging.page_size,
    )  # fmt: skip
    return paging.build([RequestOut.of(d) for d in found.items], found.count)


@router.get(
    "/queue/",
    response_model=list[RequestOut],
    summary="What you may decide right now, oldest first",
)
def queue(
    runtime: RuntimeDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[RequestOut]:
    return [RequestOut.of(d) for d in approvals.queue(runtime, actor, limit=limit)]


@router.get(
    "/stream/",
    summary="Server-Sent Events: approval notices for requests you may see",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "`text/event-stream`: a `ready` event, then one event per notice "
            "(`approval.created`, `approval.decided`, `approval.executed`, …) whose data is "
            "JSON with request_id, agent_id, kind, state; comment pings every 15 s.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
def stream(
    runtime: RuntimeDep,
    actor: ActorDep,
    max_seconds: Annotated[
        float | None,
        Query(
            gt=0,
            le=86_400,
            description="Close the stream after this long (clients "
            "reconnect); default: open until the client leaves.",
        ),
    ] = None,
) -> EventSourceResponse:
    return EventSourceResponse(
        sse.approval_notices(runtime, actor, max_seconds), ping=sse.PING_SECONDS
    )


@router.get("/{id}/", response_model=RequestDetailOut, summary="One request in full")
def get_request(runtime: RuntimeDep, actor: ActorDep, id: IdPath) -> RequestDetailOut:
    """Decisions, details (order, rationale, evidence, risk checks or the config diff) and
    the order's status once one was placed."""
    detail = approvals.get_request(runtime, actor, id)
    return RequestDetailOut.of_detail(detail, order_book.order_of(runtime, id))


@router.post("/{id}/decide/", response_model=DecideOut, summary="Approve or reject")
def decide(
    runtime: RuntimeDep, actor: ActorDep, id: IdPath, body: DecideBody, key: IdempotencyKeyDep
) -> DecideOut:
    """One decision per eligible approver; a quorum approves, a reject (quorum) rejects.
    Replaying the same `Idempotency-Key` returns the first outcome."""
    result = approvals.decide(runtime, actor, id, body.decision, body.reason, idempotency_key=key)
    detail = approvals.get_request(runtime, actor, id)
    return DecideOut(
        outcome=result.outcome.value, replayed=result.replayed, request=RequestOut.of(detail)
    )


@router.post("/{id}/cancel/", response_model=RequestOut, summary="Cancel a pending request")
def cancel(
    runtime: RuntimeDep,
    actor: ActorDep,
    id: IdPath,
    _key: IdempotencyKeyDep,
    body: CancelBody | None = None,
) -> RequestOut:
    approvals.cancel(runtime, actor, id, body.reason if body else None)
    return RequestOut.of(approvals.get_request(runtime, actor, id))
