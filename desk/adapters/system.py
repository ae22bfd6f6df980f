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
