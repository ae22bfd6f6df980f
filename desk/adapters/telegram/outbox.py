"""Outgoing Bot API calls off the request path: one asyncio worker, FIFO, paced, 429-aware.

Jobs are zero-argument coroutine functions. A job that raises :class:`BotRateLimitedError`
is retried after ``retry_after`` seconds (capped), up to ``max_attempts``; other delivery
errors are logged and dropped, so one blocked chat never stalls the rest. One worker keeps the
order of jobs (a "sent" always precedes the "edited" queued after it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from desk.services.ports.telegram import BotDeliveryError, BotRateLimitedError

log = structlog.get_logger(__name__)

T = TypeVar("T")
Job = Callable[[], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_QUEUE_SIZE = 10_000
DEFAULT_MIN_INTERVAL = 1 / 25  # stay under Telegram's ~30 messages/s overall


async def with_retry_after(
    call: Callable[[], Awaitable[T]],
    *,
    sleep: Sleep = asyncio.sleep,
    max_attempts: int = 3,
    max_wait: float = 30.0,
) -> T:
    """Run ``call``; on 429 wait ``retry_after`` (if ≤ ``max_wait``) and try again."""
    attempt = 1
    while True:
        try:
            return await call()
        except BotRateLimitedError as exc:
            if attempt >= max_attempts or exc.retry_after > max_wait:
                raise
            log.info("telegram_rate_limited", retry_after=exc.retry_after, attempt=attempt)
            await sleep(max(exc.retry_after, 0.0))
            attempt += 1


class Outbox:
    def __init__(
        self,
        *,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = 5,
        max_wait: float = 120.0,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._queue: asyncio.Queue[tuple[str, Job]] = asyncio.Queue(maxsize=queue_size)
        self._worker: asyncio.Task[None] | None = None
        self._next_at = 0.0
        self.delivered = 0
        self.dropped = 0

    def put(self, label: str, job: Job) -> bool:
        """Queue a job without waiting; False (and a log line) when the queue is full."""
        try:
            self._queue.put_nowait((label, job))
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("telegram_outbox_full", job=label)
            return False
        return True

    async def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="telegram-outbox")

    async def join(self) -> None:
        """Wait until every queued job (and the jobs they queued) has finished."""
        await self._queue.join()

    async def stop(self, *, drain: bool = True) -> None:
        if drain and self._worker is not None and not self._worker.done():
            await self._queue.join()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _run(self) -> None:
        while True:
            label, job = await self._queue.get()
            try:
                await self._pace()
                await with_retry_after(
                    job, sleep=self._sleep, max_attempts=self._max_attempts, max_wait=self._max_wait
                )
                self.delivered += 1
            except BotDeliveryError as exc:
                self.dropped += 1
                log.warning("telegram_delivery_failed", job=label, error=str(exc))
            except Exception as exc:
                self.dropped += 1
                log.error("telegram_outbox_job_crashed", job=label, error=repr(exc))
            finally:
                self._queue.task_done()

    async def _pace(self) -> None:
        now = self._monotonic()
        if now < self._next_at:
            await asyncio.sleep(self._next_at - now)
            now = self._monotonic()
        self._next_at = now + self._min_interval
