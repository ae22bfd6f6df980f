"""Run history: an agent's runs with the API's filters, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from desk.domain.clock import IST
from desk.domain.errors import ValidationError
from desk.domain.runs import RUN_ORDERINGS, AnalysisRun, RunStatus
from desk.domain.users import Actor
from desk.services.agents import visible_agent
from desk.services.ports.context import Context

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class RunPage:
    items: list[AnalysisRun]
    count: int
    page: int
    page_size: int
    count_exact: bool = True  # False: free-text counts stop at a bound (count is a minimum)


def list_runs(
    ctx: Context,
    actor: Actor,
    agent_id: str,
    *,
    status: str | None = None,
    q: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    order_by: str = "-created_at",
    page: int = 1,
    page_size: int = 20,
) -> RunPage:
    """Run history with the API's filters; dates are inclusive IST calendar days."""
    statuses = _statuses(status)
    if order_by not in RUN_ORDERINGS:
        raise ValidationError(
            f"order_by must be one of {', '.join(RUN_ORDERINGS)}", fields={"order_by": "unknown"}
        )
    if page < 1:
        raise ValidationError("page must be ≥ 1", fields={"page": "out of range"})
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"page_size must be 1-{MAX_PAGE_SIZE}", fields={"page_size": "out of range"}
        )
    start = _ist_day(date_from, "date_from")
    end = _ist_day(date_to, "date_to")
    if start and end and end < start:
        raise ValidationError("date_to is before date_from", fields={"date_to": "before date_from"})
    with ctx.uow(write=False) as uow:
        visible_agent(uow, actor, agent_id)
        items, count, exact = uow.runs.search(
            agent_id=agent_id, statuses=statuses, text=(q or "").strip() or None,
            created_from=start, created_before=end + timedelta(days=1) if end else None,
            order_by=order_by, limit=page_size, offset=(page - 1) * page_size,
        )  # fmt: skip
    return RunPage(items, count, page, page_size, exact)


def _statuses(status: str | None) -> tuple[RunStatus, ...]:
    if not status:
        return ()
    try:
        return tuple(RunStatus(s.strip()) for s in status.split(",") if s.strip())
    except ValueError:
        allowed = "|".join(s.value for s in RunStatus)
        raise ValidationError(f"status must be {allowed}", fields={"status": "unknown"}) from None


def _ist_day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{field} must be YYYY-MM-DD", fields={field: "not a date"}) from None
    return datetime.combine(day, time(0), tzinfo=IST)
