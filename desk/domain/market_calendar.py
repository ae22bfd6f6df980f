"""NSE/BSE equity calendar in IST: regular session, weekends, holidays, AMO windows.

Everything takes an injected aware ``datetime``; nothing here reads the clock.

Holidays are data, copied by hand from the NSE "trading holidays" circulars for the
equity segment (2025: circular of December 2024; 2026: circular of December 2025, plus the
15 January 2026 Maharashtra municipal election holiday announced later). Holidays that fall
on a Saturday/Sunday are not listed (the weekend rule covers them). Diwali Laxmi Pujan days
are holidays with a separate one-hour Muhurat session, which is not modelled: orders on
those days are refused. Extend :data:`NSE_HOLIDAYS` when NSE publishes the next year's list;
outside the listed years every weekday counts as a trading day (see :func:`is_known_year`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from desk.domain.clock import IST
from desk.domain.errors import ValidationError

REGULAR_OPEN = time(9, 15)
REGULAR_CLOSE = time(15, 30)
PRE_OPEN_START = time(9, 0)
#: Zerodha accepts equity AMOs from 16:00 until 08:58 of the next day (support article).
AMO_START = time(16, 0)
AMO_END = time(8, 58)

NSE_HOLIDAYS: dict[date, str] = {
    # 2025 (NSE equity segment trading holidays)
    date(2025, 2, 26): "Mahashivratri",
    date(2025, 3, 14): "Holi",
    date(2025, 3, 31): "Id-Ul-Fitr (Ramadan Eid)",
    date(2025, 4, 10): "Shri Mahavir Jayanti",
    date(2025, 4, 14): "Dr. Baba Saheb Ambedkar Jayanti",
    date(2025, 4, 18): "Good Friday",
    date(2025, 5, 1): "Maharashtra Day",
    date(2025, 8, 15): "Independence Day",
    date(2025, 8, 27): "Ganesh Chaturthi",
    date(2025, 10, 2): "Mahatma Gandhi Jayanti / Dussehra",
    date(2025, 10, 21): "Diwali Laxmi Pujan (Muhurat trading only)",
    date(2025, 10, 22): "Diwali Balipratipada",
    date(2025, 11, 5): "Prakash Gurpurb Sri Guru Nanak Dev",
    date(2025, 12, 25): "Christmas",
    # 2026
    date(2026, 1, 15): "Municipal Corporation Election - Maharashtra",
    date(2026, 1, 26): "Republic Day",
    date(2026, 3, 3): "Holi",
    date(2026, 3, 26): "Shri Ram Navami",
    date(2026, 3, 31): "Shri Mahavir Jayanti",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 14): "Dr. Baba Saheb Ambedkar Jayanti",
    date(2026, 5, 1): "Maharashtra Day",
    date(2026, 5, 28): "Bakri Id",
    date(2026, 6, 26): "Muharram",
    date(2026, 9, 14): "Ganesh Chaturthi",
    date(2026, 10, 2): "Mahatma Gandhi Jayanti",
    date(2026, 10, 20): "Dussehra",
    date(2026, 11, 10): "Diwali Balipratipada",
    date(2026, 11, 24): "Prakash Gurpurb Sri Guru Nanak Dev",
    date(2026, 12, 25): "Christmas",
}
KNOWN_YEARS = frozenset(d.year for d in NSE_HOLIDAYS)


class MarketPhase(StrEnum):
    OPEN = "open"  # regular session 09:15-15:30
    PRE_OPEN = "pre_open"  # 09:00-09:15
    CLOSED = "closed"  # weekday outside session, weekend or holiday


def to_ist(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValidationError("market calendar needs an aware datetime", fields={"now": "naive"})
    return when.astimezone(IST)


def is_known_year(day: date) -> bool:
    return day.year in KNOWN_YEARS


def holiday_name(day: date) -> str | None:
    return NSE_HOLIDAYS.get(day)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in NSE_HOLIDAYS


def closed_reason(day: date) -> str | None:
    """Why ``day`` has no session, or None for a trading day."""
    if day.weekday() >= 5:
        return f"{day.isoformat()} is a {day.strftime('%A')}"
    name = NSE_HOLIDAYS.get(day)
    return f"{day.isoformat()} is an NSE holiday ({name})" if name else None


def session_bounds(day: date) -> tuple[datetime, datetime]:
    """Regular session open and close (aware IST) for ``day``, trading day or not."""
    return (datetime.combine(day, REGULAR_OPEN, IST), datetime.combine(day, REGULAR_CLOSE, IST))


def market_phase(now: datetime) -> MarketPhase:
    local = to_ist(now)
    if not is_trading_day(local.date()):
        return MarketPhase.CLOSED
    t = local.time()
    if REGULAR_OPEN <= t < REGULAR_CLOSE:
        return MarketPhase.OPEN
    if PRE_OPEN_START <= t < REGULAR_OPEN:
        return MarketPhase.PRE_OPEN
    return MarketPhase.CLOSED


def is_market_open(now: datetime) -> bool:
    return market_phase(now) is MarketPhase.OPEN


def is_amo_window(now: datetime) -> bool:
    """True when Zerodha accepts equity after-market orders.

    On trading days: before 08:58 or from 16:00. On weekends and holidays: all day.
    """
    local = to_ist(now)
    if not is_trading_day(local.date()):
        return True
    t = local.time()
    return t < AMO_END or t >= AMO_START


def next_session_open(now: datetime) -> datetime:
    """The next regular-session open strictly after ``now`` (aware IST)."""
    local = to_ist(now)
    day = local.date()
    for _ in range(30):
        opens, _close = session_bounds(day)
        if is_trading_day(day) and opens > local:
            return opens
        day += timedelta(days=1)
    raise ValidationError("no trading day in the next 30 days", fields={"now": local.isoformat()})


def mis_cutoff(day: date, minutes_before_close: int) -> datetime:
    """When pending intraday (MIS) requests for ``day`` stop being executable."""
    _open, close = session_bounds(day)
    return close - timedelta(minutes=minutes_before_close)


def is_past_mis_cutoff(now: datetime, minutes_before_close: int) -> bool:
    local = to_ist(now)
    return local >= mis_cutoff(local.date(), minutes_before_close)
