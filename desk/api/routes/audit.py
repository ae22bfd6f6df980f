"""The audit trail (admin only): newest-first pages, chain verification, file export."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from desk.api.deps import AdminDep, RuntimeDep
from desk.api.params import REF_PATTERN
from desk.api.schemas.audit import AuditEventOut, AuditPageOut, VerifyOut, VerifyRequest
from desk.api.schemas.common import ERROR_RESPONSES
from desk.services import audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERROR_RESPONSES)

MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "jsonl": "application/x-ndjson"}


@router.get(
    "/events/",
    response_model=AuditPageOut,
    summary="Audit events, newest first",
    description="Cursor pagination: pass `next_before_seq` of a page as `before_seq`.",
)
def list_events(
    runtime: RuntimeDep,
    actor: AdminDep,
    *,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
    before_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[
        str | None, Query(pattern=r"^[a-z0-9_.]{1,64}$", examples=["user.created"])
    ] = None,
    subject_id: Annotated[str | None, Query(pattern=REF_PATTERN)] = None,
) -> AuditPageOut:
    page = audit.list_events(
        runtime, actor, limit=limit, before_seq=before_seq, action=action, subject_id=subject_id
    )
    return AuditPageOut(
        results=[AuditEventOut.of(e) for e in page.events], next_before_seq=page.next_before_seq
    )


@router.post("/verify/", response_model=VerifyOut, summary="Verify the hash chain")
def verify(runtime: RuntimeDep, actor: AdminDep, body: VerifyRequest | None = None) -> VerifyOut:
    """Walks the whole chain; `ok: false` names the first broken event and how it broke."""
    result = audit.verify(runtime, expected_head=body.expected_head if body else None)
    problem = result.problem
    return VerifyOut(
        ok=result.ok,
        count=result.count,
        head_hash=result.head_hash,
        message=result.describe(),
        broken_seq=problem.seq if problem else None,
        broken_event_id=problem.event_id if problem else None,
        kind=problem.kind if problem else None,
    )


@router.get(
    "/export/",
    response_class=FileResponse,
    summary="Download every event as Parquet or JSON lines",
    responses={
        200: {
            "description": "The file (payloads as JSON text).",
            "content": {
                MEDIA_TYPES["parquet"]: {"schema": {"type": "string", "format": "binary"}},
                MEDIA_TYPES["jsonl"]: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def export(
    runtime: RuntimeDep,
    actor: AdminDep,
    fmt: Annotated[Literal["parquet", "jsonl"], Query(alias="format")] = "parquet",
) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="desk-audit-export-"))
    try:
        path = folder / f"audit.{fmt}"
        audit.export(runtime, path, fmt=fmt)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[fmt],
        filename=f"desk-audit.{fmt}",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
