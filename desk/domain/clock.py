"""Clock and id-generation ports, plus the deterministic implementations used by tests.

The real implementations (wall clock, uuid4, ``secrets``) live in :mod:`desk.adapters.system`
so that neither the domain nor the services ever read the time or randomness directly.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class IdGen(Protocol):
    def new_id(self) -> str:
        """A unique opaque id (lowercase hex)."""
        ...

    def new_token(self, nbytes: int = 32) -> str:
        """An unguessable url-safe secret (API tokens, link codes)."""
        ...


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


class SequentialIdGen:
    """Deterministic ids and tokens for tests."""

    def __init__(self, seed: str = "t") -> None:
        self._seed = seed
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return hashlib.sha256(f"{self._seed}:{next(self._counter)}".encode()).hexdigest()[:32]

    def new_token(self, nbytes: int = 32) -> str:
        digest = hashlib.sha256(f"{self._seed}:tok:{next(self._counter)}".encode()).hexdigest()
        return digest[: max(8, nbytes)]
