"""Retries: safe methods (GET) on connection failures and 5xx answers; POSTs the service
replays by ``Idempotency-Key`` on connection failures and 502/503/504 only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from desk.client.errors import DeskConnectionError, DeskServerError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# A keyed POST is retried only when the service did not answer it (a 500 may be a bug that
# the same request would hit again).
KEYED_RETRY_STATUSES = frozenset({502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DeskConnectionError):
        return True
    return isinstance(exc, DeskServerError) and exc.status in RETRY_STATUSES


def is_unanswered(exc: BaseException) -> bool:
    if isinstance(exc, DeskConnectionError):
        return True
    return isinstance(exc, DeskServerError) and exc.status in KEYED_RETRY_STATUSES


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.25
    max_wait: float = 4.0

    def _options(self, method: str, *, keyed: bool) -> dict[str, Any]:
        safe = method.upper() in SAFE_METHODS
        attempts = max(1, self.attempts) if safe or keyed else 1
        return {
            "stop": stop_after_attempt(attempts),
            "wait": wait_exponential(multiplier=self.backoff, max=self.max_wait),
            "retry": retry_if_exception(is_transient if safe else is_unanswered),
            "reraise": True,
        }

    def sync(self, method: str, *, keyed: bool = False) -> Retrying:
        """``keyed``: a POST carrying an Idempotency-Key the service replays."""
        return Retrying(**self._options(method, keyed=keyed))

    def asynchronous(self, method: str, *, keyed: bool = False) -> AsyncRetrying:
        return AsyncRetrying(**self._options(method, keyed=keyed))
