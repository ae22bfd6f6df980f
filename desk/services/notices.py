"""Turning domain notices into published events (SSE, dashboard, Telegram subscribe)."""

from __future__ import annotations

from desk.domain.approval_model import RequestNotice
from desk.services.ports.context import Context
from desk.services.ports.events import DomainEvent
from desk.services.ports.store import UnitOfWork

APPROVAL_TOPIC_PREFIX = "approval."


def emit_request_notice(ctx: Context, uow: UnitOfWork, note: RequestNotice) -> None:
    """Queued on the unit of work; published only if it commits."""
    uow.emit(
        DomainEvent(
            topic=APPROVAL_TOPIC_PREFIX + note.topic.value,
            subject_id=note.request_id,
            occurred_at=ctx.clock.now(),
            data={
                "request_id": note.request_id,
                "agent_id": note.agent_id,
                "kind": note.kind.value,
                "state": note.state.value,
                "recipient_ids": list(note.recipient_ids),
            },
        )
    )
