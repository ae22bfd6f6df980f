"""Retries: only safe methods (GET), only on connection failures and 5xx answers."""

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


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DeskConnectionError):
        return True
    return isinstance(exc, DeskServerError) and exc.status in RETRY_STATUSES


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.25
    max_wait: float = 4.0

    def _options(self, method: str) -> dict[str, Any]:
        attempts = max(1, self.attempts) if method.upper() in SAFE_METHODS else 1
        return {
            "stop": stop_after_attempt(attempts),
            "wait": wait_exponential(multiplier=self.backoff, max=self.max_wait),
            "retry": retry_if_exception(is_transient),
            "reraise": True,
        }

    def sync(self, method: str) -> Retrying:
        return Retrying(**self._options(method))

    def asynchronous(self, method: str) -> AsyncRetrying:
        return AsyncRetrying(**self._options(method))
