"""Orders as the people who may see their requests see them: trade requests past approval
with the execution intent (and the broker's latest word) of each."""

from __future__ import annotations

from dataclasses import dataclass

from desk.domain.execution import ExecutionIntent
from desk.domain.users import Actor
from desk.services import approvals
from desk.services.ports.context import Context

ORDER_STATES = "approved,executing,executed,failed"


@dataclass(frozen=True, slots=True)
class OrderView:
    request_id: str
    agent_id: str
    agent_name: str
    request_state: str
    instrument: str | None
    side: str | None
    quantity: int | None
    intent: ExecutionIntent | None


def order_of(ctx: Context, request_id: str) -> ExecutionIntent | None:
    """The execution intent of a request (call after checking the caller may see it)."""
    with ctx.uow(write=False) as uow:
        return uow.executions.get_by_request(request_id)


def list_orders(
    ctx: Context, actor: Actor, *, page: int = 1, page_size: int = 20
) -> tuple[list[OrderView], int]:
    """Newest first; only requests the caller may view."""
    found = approvals.list_requests(
        ctx, actor, state=ORDER_STATES, kind="trade", page=page, page_size=page_size
    )
    with ctx.uow(write=False) as uow:
        intents = {d.request.id: uow.executions.get_by_request(d.request.id) for d in found.items}
    views = [
        OrderView(
            request_id=d.request.id,
            agent_id=d.request.agent_id,
            agent_name=d.agent_name,
            request_state=d.request.state.value,
            instrument=d.details.get("instrument"),
            side=d.details.get("side"),
            quantity=d.details.get("quantity"),
            intent=intents[d.request.id],
        )
        for d in found.items
    ]
    return views, found.count
