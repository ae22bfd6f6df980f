"""How many refused unauthenticated calls reach the audit chain.

Every refusal of an endpoint that has no bearer token (the Telegram webhook with a wrong
secret, a Kite postback with a bad checksum) is logged. The first few per (source, reason,
client) and minute are also audited, as are at most ``overall`` per minute in all; the others
are counted, and the next audited row of the same key says how many were left out
(``suppressed``). Without this, anyone who can reach the webhook could write audit rows as fast
as they can send requests, and every audit write takes the chain's one head lock that
decisions and orders need too.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

RefusalKey = tuple[str, str, str]
OVERFLOW: RefusalKey = ("*", "*", "*")  # suppressed refusals of keys beyond ``max_keys``


class RefusalSampler:
    """Fixed one-minute windows; thread-safe; memory bounded by ``overall`` and ``max_keys``."""

    def __init__(
        self,
        *,
        per_key: int = 5,
        overall: int = 60,
        window: timedelta = timedelta(minutes=1),
        max_keys: int = 10_000,
    ) -> None:
        if per_key < 1 or overall < per_key or window <= timedelta(0) or max_keys < 1:
            raise ValueError("per_key >= 1, overall >= per_key, window > 0 and max_keys >= 1")
        self._per_key = per_key
        self._overall = overall
        self._window_s = window.total_seconds()
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._window_id: int | None = None
        self._admitted: Counter[RefusalKey] = Counter()
        self._suppressed: Counter[RefusalKey] = Counter()

    def admit(self, key: RefusalKey, now: datetime) -> int | None:
        """None: log only. Otherwise audit it, noting this many earlier ones left out."""
        window_id = int(now.timestamp() // self._window_s)
        with self._lock:
            if window_id != self._window_id:
                self._window_id = window_id
                self._admitted.clear()
            full = sum(self._admitted.values()) >= self._overall
            if full or self._admitted[key] >= self._per_key:
                known = key in self._suppressed or len(self._suppressed) < self._max_keys
                self._suppressed[key if known else OVERFLOW] += 1
                return None
            self._admitted[key] += 1
            return self._suppressed.pop(key, 0)

    def pending(self) -> int:
        """Refusals counted but not yet reported on an audited row."""
        with self._lock:
            return sum(self._suppressed.values())
