"""Proposals (through risk into approval requests), orders and paper positions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from desk.api.deps import ActorDep, IdempotencyKeyDep, RuntimeDep, ServerDep
from desk.api.pagination import PageDep
from desk.api.params import REF_PATTERN, IdPath
from desk.api.schemas.common import ERROR_RESPONSES, Page
from desk.api.schemas.trading import (
    OrderOut,
    PositionOut,
    PositionsOut,
    ProposalCreate,
    ProposalOut,
)
from desk.services import order_book, proposals

router = APIRouter(prefix="/api/v1", tags=["trading"], responses=ERROR_RESPONSES)


@router.get("/proposals/", response_model=Page[ProposalOut], summary="Trade proposals")
def list_proposals(
    runtime: RuntimeDep,
    actor: ActorDep,
    paging: PageDep,
    *,
    agent: Annotated[str | None, Query(pattern=REF_PATTERN, description="An agent id.")] = None,
    status_: Annotated[str | None, Query(alias="status", pattern=r"^(blocked|submitted)$")] = None,
    run: Annotated[str | None, Query(pattern=REF_PATTERN, description="A run id.")] = None,
) -> Page[ProposalOut]:
    items, count = proposals.list_proposals(
        runtime, actor, agent_id=agent, status=status_, run_id=run, page=paging.page,
        page_size=paging.page_size,
    )  # fmt: skip
    return paging.build([ProposalOut.of(p) for p in items], count)


@router.post(
    "/proposals/",
    response_model=ProposalOut,
    status_code=status.HTTP_201_CREATED,
    summary="Propose a trade: every risk check runs; a pass opens an approval request",
)
def submit_proposal(
    runtime: RuntimeDep,
    server: ServerDep,
    actor: ActorDep,
    body: ProposalCreate,
    key: IdempotencyKeyDep,
) -> ProposalOut:
    """A proposal failing any check is stored `blocked` with every reason (still 201).
    Replaying an `Idempotency-Key` returns the proposal that key stored."""
    outcome = proposals.submit_proposal(
        runtime, server.paper.market, actor, body.agent_id, body.order_fields(),
        idempotency_key=key,
    )  # fmt: skip
    return ProposalOut.of(outcome.proposal).model_copy(update={"request_id": outcome.request_id})


@router.get("/proposals/{id}/", response_model=ProposalOut, summary="One proposal")
def get_proposal(runtime: RuntimeDep, actor: ActorDep, id: IdPath) -> ProposalOut:
    return ProposalOut.of(proposals.get_proposal(runtime, actor, id))


@router.get("/orders/", response_model=Page[OrderOut], summary="Orders of requests you may see")
def list_orders(runtime: RuntimeDep, actor: ActorDep, paging: PageDep) -> Page[OrderOut]:
    """Approved trade requests, newest first, each with its execution and broker status."""
    views, count = order_book.list_orders(
        runtime, actor, page=paging.page, page_size=paging.page_size
    )
    return paging.build([OrderOut.of(v) for v in views], count)


@router.get("/positions/", response_model=PositionsOut, summary="Paper positions and P&L")
def positions(server: ServerDep, actor: ActorDep) -> PositionsOut:
    book = server.paper.broker.positions()
    net = [PositionOut.of(p) for p in book.net]
    return PositionsOut(
        venue="paper",
        net=net,
        day=[PositionOut.of(p) for p in book.day],
        pnl_paise=sum(p.pnl_paise for p in book.net),
        realised_paise=sum(p.realised_paise for p in book.net),
        unrealised_paise=sum(p.unrealised_paise for p in book.net),
    )
