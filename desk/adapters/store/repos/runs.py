"""Analysis runs and their ordered events."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from desk.adapters.store.repos import run_history as history
from desk.adapters.store.tables import analysis_runs, run_events
from desk.domain.runs import AnalysisRun, RunEvent, RunMode, RunStatus

T = analysis_runs
E = run_events


def _run(row: Any) -> AnalysisRun:
    return AnalysisRun(
        id=row.id,
        agent_id=row.agent_id,
        config_version=row.config_version,
        query=row.query,
        model=row.model,
        status=RunStatus(row.status),
        mode=RunMode(row.mode),
        replay=row.replay,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        cancel_requested=row.cancel_requested,
        stop_reason=row.stop_reason,
        error=row.error,
        result_text=row.result_text,
        proposals=tuple(row.proposals or ()),
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost_usd=Decimal(row.cost_usd),
        steps=row.steps,
        event_count=row.event_count,
        artifact_path=row.artifact_path,
    )


def _values(run: AnalysisRun) -> dict[str, Any]:
    values = asdict(run)
    values["status"] = run.status.value
    values["mode"] = run.mode.value
    values["proposals"] = list(run.proposals)
    return values


class SqlRunRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, run: AnalysisRun) -> None:
        self._conn.execute(T.insert().values(**_values(run)))
        history.bump(self._conn, run.agent_id, run.status.value, run.created_at, 1)

    def get(self, run_id: str) -> AnalysisRun | None:
        row = self._conn.execute(sa.select(T).where(T.c.id == run_id)).first()
        return _run(row) if row is not None else None

    def save(self, run: AnalysisRun, *, expected_status: RunStatus) -> bool:
        """Conditional on the status read before; False when the run moved meanwhile."""
        values = _values(run)
        values.pop("id")
        values.pop("event_count")
        result = self._conn.execute(
            T.update().where(T.c.id == run.id, T.c.status == expected_status.value).values(**values)
        )
        if result.rowcount != 1:
            return False
        if run.status is not expected_status:  # the counters move in the same transaction
            history.bump(self._conn, run.agent_id, expected_status.value, run.created_at, -1)
            history.bump(self._conn, run.agent_id, run.status.value, run.created_at, 1)
        return True

    def request_cancel(self, run_id: str) -> bool:
        result = self._conn.execute(
            T.update()
            .where(
                T.c.id == run_id, T.c.status.in_([RunStatus.PENDING.value, RunStatus.RUNNING.value])
            )
            .values(cancel_requested=True)
        )
        return result.rowcount == 1

    def cancel_requested(self, run_id: str) -> bool:
        value = self._conn.execute(sa.select(T.c.cancel_requested).where(T.c.id == run_id)).scalar()
        return bool(value)

    def search(
        self,
        *,
        agent_id: str,
        statuses: tuple[RunStatus, ...] = (),
        text: str | None = None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
        order_by: str = "-created_at",
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[AnalysisRun], int, bool]:
        """One page, the count, and whether the count is exact (else a lower bound)."""
        query = history.HistoryQuery(
            agent_id=agent_id, statuses=statuses, text=text, created_from=created_from,
            created_before=created_before, order_by=order_by, limit=limit, offset=offset,
        )  # fmt: skip
        counted = int(self._conn.execute(history.count_statement(query)).scalar_one())
        rows = self._conn.execute(history.page_statement(query)).all()  # one fetch, not 20
        count, exact = history.count_result(query, counted)
        return [_run(r) for r in rows], count, exact

    def unfinished(self) -> list[AnalysisRun]:
        rows = self._conn.execute(
            sa.select(T).where(T.c.status.in_([RunStatus.PENDING.value, RunStatus.RUNNING.value]))
        )
        return [_run(r) for r in rows]

    # -- events ----------------------------------------------------------------------------
    def append_event(
        self, run_id: str, kind: str, payload: dict[str, Any], now: datetime
    ) -> RunEvent:
        seq = (
            int(self._conn.execute(sa.select(T.c.event_count).where(T.c.id == run_id)).scalar_one())
            + 1
        )
        self._conn.execute(
            E.insert().values(run_id=run_id, seq=seq, kind=kind, payload=payload, created_at=now)
        )
        self._conn.execute(T.update().where(T.c.id == run_id).values(event_count=seq))
        return RunEvent(run_id, seq, kind, payload, now)

    def events(self, run_id: str, *, after: int = 0, limit: int = 100) -> list[RunEvent]:
        rows = self._conn.execute(
            sa.select(E).where(E.c.run_id == run_id, E.c.seq > after).order_by(E.c.seq).limit(limit)
        )
        return [RunEvent(r.run_id, r.seq, r.kind, dict(r.payload), r.created_at) for r in rows]
