"""The audit trail over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from desk.api.schemas.common import Strict
from desk.domain.audit import AuditEvent


class AuditEventOut(BaseModel):
    seq: int
    id: str
    occurred_at: datetime
    action: str
    actor_id: str | None
    actor_label: str
    channel: str
    subject_type: str
    subject_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventOut:
        return cls(
            seq=e.seq, id=e.id, occurred_at=e.occurred_at, action=e.action, actor_id=e.actor_id,
            actor_label=e.actor_label, channel=e.channel, subject_type=e.subject_type,
            subject_id=e.subject_id, payload=dict(e.payload), prev_hash=e.prev_hash, hash=e.hash,
        )  # fmt: skip


class AuditPageOut(BaseModel):
    results: list[AuditEventOut]
    next_before_seq: int | None = Field(description="Pass as before_seq for the next page.")


class VerifyRequest(Strict):
    expected_head: str | None = Field(
        default=None, pattern="^[0-9a-f]{64}$", description="A head hash recorded earlier."
    )


class VerifyOut(BaseModel):
    ok: bool
    count: int
    head_hash: str
    message: str
    broken_seq: int | None = None
    broken_event_id: str | None = None
    kind: str | None = None
