"""Recording, verifying, listing and exporting the audit chain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desk.domain.audit import AuditDraft, AuditEvent, VerifyResult, verify_chain
from desk.domain.errors import PermissionDeniedError, ValidationError
from desk.domain.users import Actor
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork

MAX_PAGE = 500


def record(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    *,
    subject_type: str,
    subject_id: str | None,
    payload: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append an event inside the caller's unit of work (committed with its change)."""
    draft = AuditDraft(
        action=action,
        actor_id=actor.user_id,
        actor_label=actor.label,
        channel=actor.channel.value,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=dict(payload or {}),
    )
    return uow.audit.append(draft, event_id=ctx.ids.new_id(), occurred_at=ctx.clock.now())


def verify(ctx: Context, *, expected_head: str | None = None) -> VerifyResult:
    """Walk the whole chain; reports OK with the count, or the first break and its kind."""
    if expected_head is not None and (
        len(expected_head) != 64 or any(c not in "0123456789abcdef" for c in expected_head)
    ):
        raise ValidationError(
            "expected head must be a 64-character lowercase hex sha256",
            fields={"expected_head": "not a sha256 hex digest"},
        )
    with ctx.uow(write=False) as uow:
        return verify_chain(
            uow.audit.iter_chain(), locate=uow.audit.locate, expected_head=expected_head
        )


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[AuditEvent]
    next_before_seq: int | None


def list_events(
    ctx: Context,
    actor: Actor,
    *,
    limit: int = 50,
    before_seq: int | None = None,
    action: str | None = None,
    subject_id: str | None = None,
) -> AuditPage:
    if not actor.is_admin:
        raise PermissionDeniedError("only admins may read the audit trail")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be 1-{MAX_PAGE}", fields={"limit": "out of range"})
    with ctx.uow(write=False) as uow:
        events = uow.audit.list(
            limit=limit + 1, before_seq=before_seq, action=action, subject_id=subject_id
        )
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(events, events[-1].seq if more and events else None)


EXPORT_FORMATS = ("parquet", "jsonl")


def export(ctx: Context, path: Path, *, fmt: str = "parquet", batch_size: int = 50_000) -> int:
    """Write every event (seq order) to ``path``; returns the count. Payloads as JSON text."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(
            f"unknown export format {fmt!r}; use one of: {', '.join(EXPORT_FORMATS)}",
            fields={"format": "unknown"},
        )
    if path.exists() and path.is_dir():
        raise ValidationError(
            f"{path} is a directory; give a file path", fields={"path": "is a dir"}
        )
    if not path.parent.exists():
        raise ValidationError(f"folder {path.parent} does not exist", fields={"path": "no folder"})
    tmp = path.with_name(path.name + ".partial")
    with ctx.uow(write=False) as uow:
        count = ctx.audit_writer(uow.audit.iter_chain(batch_size=batch_size), tmp, fmt, batch_size)
    tmp.replace(path)
    return count
