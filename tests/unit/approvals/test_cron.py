from __future__ import annotations

import pytest

from desk.services.agent_config import validate_cron


@pytest.mark.parametrize(
    "expr", ["*/5 * * * *", "0 9 * * 1-5", "15 9 * * MON-FRI", "@daily", "  30   15 * * *  "]
)
def test_valid_schedules(expr: str) -> None:
    assert validate_cron(expr) is None


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("61 * * * *", "invalid cron"),
        ("* * * *", "5 fields"),
        ("0 * * * * *", "5 fields"),
        ("every day", "5 fields"),
        ("0 9 30 2 *", "never fires"),
        ("@sometimes", "unknown cron macro"),
    ],
)
def test_invalid_schedules(expr: str, fragment: str) -> None:
    problem = validate_cron(expr)
    assert problem is not None and fragment in problem
