"""Run history statements (one page plus its count) and the per-day run counters.

The count comes from ``run_counts`` (runs per agent, status and IST day, kept by the runs
repository in the same transaction as the run) whenever the filters are statuses and whole
IST days, which is every filter the API offers except free text. A free-text count is
bounded: runs are counted up to ``COUNT_CAP`` (or just past the requested page), and the
result says whether the count is exact or a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from desk.adapters.store.tables import analysis_runs, run_counts
from desk.domain.runs import RunStatus

T = analysis_runs
C = run_counts
COUNT_CAP = 1_000
IST_OFFSET = timedelta(hours=5, minutes=30)  # India keeps no daylight saving
ORDERABLE = {
    "created_at": T.c.created_at,
    "started_at": T.c.started_at,
    "completed_at": T.c.completed_at,
}


def ist_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) + IST_OFFSET).date()


def _whole_ist_day(moment: datetime | None) -> date | None:
    """The IST day starting at ``moment``; None when it is not an IST midnight."""
    if moment is None:
        return None
    shifted = moment.astimezone(UTC) + IST_OFFSET
    return shifted.date() if shifted.time() == datetime.min.time() else None


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    agent_id: str
    statuses: tuple[RunStatus, ...] = ()
    text: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    order_by: str = "-created_at"
    limit: int = 20
    offset: int = 0

    @property
    def counted_by_day(self) -> bool:
        """True when the counters answer the count exactly (no text, whole IST days)."""
        return not self.text and all(
            m is None or _whole_ist_day(m) is not None
            for m in (self.created_from, self.created_before)
        )

    @property
    def count_bound(self) -> int:
        """Count at most this many rows: the cap, or one past the requested page."""
        return max(COUNT_CAP, self.offset + self.limit + 1)


def _clauses(q: HistoryQuery) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = [T.c.agent_id == q.agent_id]
    if q.statuses:
        clauses.append(T.c.status.in_([s.value for s in q.statuses]))
    if q.text:
        if any(c in q.text for c in "\\%_"):
            escaped = q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern, escape = f"%{escaped}%", "\\"
        else:  # no wildcard to escape: DuckDB's ILIKE is much faster without ESCAPE
            pattern, escape = f"%{q.text}%", None
        columns = (T.c.query, T.c.model, T.c.result_text)
        clauses.append(sa.or_(*(c.ilike(pattern, escape=escape) for c in columns)))
    if q.created_from is not None:
        clauses.append(T.c.created_at >= q.created_from)
    if q.created_before is not None:
        clauses.append(T.c.created_at < q.created_before)
    return clauses


def page_statement(q: HistoryQuery) -> sa.Select[tuple[object, ...]]:
    column = ORDERABLE[q.order_by.lstrip("-")]
    descending = q.order_by.startswith("-")
    # created_at is never null: a plain ordering lets Postgres walk the index.
    if column.key == "created_at":
        first = column.desc() if descending else column.asc()
    else:
        first = column.desc().nulls_last() if descending else column.asc().nulls_last()
    last = T.c.id.desc() if descending else T.c.id.asc()
    return sa.select(T).where(*_clauses(q)).order_by(first, last).limit(q.limit).offset(q.offset)


def count_statement(q: HistoryQuery) -> sa.Select[Any]:
    """A sum over the counters when they answer exactly; else a count of at most the bound."""
    if q.counted_by_day:
        where: list[sa.ColumnElement[bool]] = [C.c.agent_id == q.agent_id]
        if q.statuses:
            where.append(C.c.status.in_([s.value for s in q.statuses]))
        start, end = _whole_ist_day(q.created_from), _whole_ist_day(q.created_before)
        if start is not None:
            where.append(C.c.day >= start)
        if end is not None:
            where.append(C.c.day < end)
        return sa.select(sa.func.coalesce(sa.func.sum(C.c.n), 0)).where(*where)
    bounded = sa.select(sa.literal(1)).select_from(T).where(*_clauses(q)).limit(q.count_bound)
    return sa.select(sa.func.count()).select_from(bounded.subquery())


def count_result(q: HistoryQuery, counted: int) -> tuple[int, bool]:
    """(count, exact): a bounded count that reached its bound is a lower bound."""
    if q.counted_by_day:
        return counted, True
    return counted, counted < q.count_bound


def bump(conn: Connection, agent_id: str, status: str, created_at: datetime, delta: int) -> None:
    """Add ``delta`` to the counter of this run's agent, status and IST day (upsert)."""
    insert = postgresql.insert(C).values(
        agent_id=agent_id, status=status, day=ist_day(created_at), n=delta
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[C.c.agent_id, C.c.status, C.c.day], set_={"n": C.c.n + delta}
        )
    )


RECOUNT = (
    "INSERT INTO run_counts (agent_id, status, day, n) "
    "SELECT agent_id, status, CAST(created_at + INTERVAL '330 minutes' AS DATE), COUNT(*) "
    "FROM analysis_runs GROUP BY 1, 2, 3"
)


def recount(conn: Connection) -> None:
    """Rebuild every counter from the runs (the migration's backfill; bulk loads)."""
    conn.execute(C.delete())
    conn.execute(sa.text(RECOUNT))
