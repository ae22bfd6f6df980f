"""Agent-config helpers that need third-party libraries (the domain stays stdlib-only)."""

from __future__ import annotations

from datetime import datetime

from croniter import CroniterBadDateError, croniter

from desk.domain.clock import IST

_REFERENCE = datetime(2025, 1, 1, tzinfo=IST)
_MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)


def validate_cron(expression: str) -> str | None:
    """None for a 5-field cron (or an @macro) that fires at least once; else why not.

    Schedules are read in IST. Seconds fields (6 fields) are refused: agents run at most
    once a minute.
    """
    text = " ".join(expression.split())
    if text.startswith("@"):
        return None if text in _MACROS else f"unknown cron macro {text!r}"
    if len(text.split(" ")) != 5:
        return "cron needs 5 fields: minute hour day-of-month month day-of-week (IST)"
    if not croniter.is_valid(text):
        return f"invalid cron expression {text!r}"
    try:
        croniter(text, _REFERENCE).get_next(datetime)
    except CroniterBadDateError:
        return f"cron expression {text!r} never fires"
    return None
