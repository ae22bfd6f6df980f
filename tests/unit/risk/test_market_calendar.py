from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from desk.domain import market_calendar as cal
from desk.domain.clock import IST
from desk.domain.errors import ValidationError


def ist(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=IST)


@pytest.mark.parametrize(
    ("when", "phase"),
    [
        (ist(2026, 1, 5, 9, 14, 59), cal.MarketPhase.PRE_OPEN),
        (ist(2026, 1, 5, 9, 15), cal.MarketPhase.OPEN),
        (ist(2026, 1, 5, 15, 29, 59), cal.MarketPhase.OPEN),
        (ist(2026, 1, 5, 15, 30), cal.MarketPhase.CLOSED),
        (ist(2026, 1, 3, 11, 0), cal.MarketPhase.CLOSED),  # Saturday
        (ist(2026, 1, 26, 11, 0), cal.MarketPhase.CLOSED),  # Republic Day
        (ist(2025, 10, 21, 11, 0), cal.MarketPhase.CLOSED),  # Diwali Laxmi Pujan
    ],
)
def test_phases(when: datetime, phase: cal.MarketPhase) -> None:
    assert cal.market_phase(when) is phase


def test_any_timezone_is_converted() -> None:
    # 05:45 UTC == 11:15 IST on a Monday
    assert cal.is_market_open(datetime(2026, 1, 5, 5, 45, tzinfo=ZoneInfo("UTC")))
    with pytest.raises(ValidationError):
        cal.is_market_open(datetime(2026, 1, 5, 11, 0))


def test_holidays_and_reasons() -> None:
    assert cal.holiday_name(date(2026, 1, 15)) is not None
    assert not cal.is_trading_day(date(2025, 12, 25))
    assert cal.is_trading_day(date(2026, 1, 5))
    assert "Saturday" in (cal.closed_reason(date(2026, 1, 3)) or "")
    assert "Republic Day" in (cal.closed_reason(date(2026, 1, 26)) or "")
    assert cal.closed_reason(date(2026, 1, 5)) is None
    assert all(d.weekday() < 5 for d in cal.NSE_HOLIDAYS)
    assert cal.is_known_year(date(2026, 6, 1)) and not cal.is_known_year(date(2027, 6, 1))


@pytest.mark.parametrize(
    ("when", "amo"),
    [
        (ist(2026, 1, 5, 8, 57), True),
        (ist(2026, 1, 5, 8, 58), False),
        (ist(2026, 1, 5, 12, 0), False),
        (ist(2026, 1, 5, 15, 45), False),
        (ist(2026, 1, 5, 16, 0), True),
        (ist(2026, 1, 3, 12, 0), True),  # weekend
        (ist(2026, 1, 26, 12, 0), True),  # holiday
    ],
)
def test_amo_window(when: datetime, amo: bool) -> None:
    assert cal.is_amo_window(when) is amo


def test_next_session_open_skips_weekend_and_holiday() -> None:
    # Friday 2026-01-23 after close -> Monday 26th is Republic Day -> Tuesday 27th
    assert cal.next_session_open(ist(2026, 1, 23, 16, 0)) == ist(2026, 1, 27, 9, 15)
    assert cal.next_session_open(ist(2026, 1, 5, 8, 0)) == ist(2026, 1, 5, 9, 15)


def test_mis_cutoff() -> None:
    assert cal.mis_cutoff(date(2026, 1, 5), 15) == ist(2026, 1, 5, 15, 15)
    assert not cal.is_past_mis_cutoff(ist(2026, 1, 5, 15, 14), 15)
    assert cal.is_past_mis_cutoff(ist(2026, 1, 5, 15, 15), 15)
