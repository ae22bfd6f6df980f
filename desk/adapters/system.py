"""The real clock and id generator (the only place that reads wall time or OS randomness)."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidIdGen:
    def new_id(self) -> str:
        return uuid.uuid4().hex

    def new_token(self, nbytes: int = 32) -> str:
        return secrets.token_urlsafe(nbytes)


class ShiftedClock:
    """Real time, moved by a fixed offset: the demo runs "during market hours" at any hour.

    It still ticks (durations are real); only the starting point is moved.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def market_hours_clock() -> ShiftedClock | SystemClock:
    """The system clock during an NSE session; otherwise one shifted to 10:00 IST of the
    next session (so paper trading in the demo meets the market-hours check honestly)."""
    from datetime import timedelta

    from desk.domain.market_calendar import is_market_open, next_session_open

    now = datetime.now(UTC)
    if is_market_open(now):
        return SystemClock()
    return ShiftedClock(next_session_open(now) + timedelta(minutes=45))
