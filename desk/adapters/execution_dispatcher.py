"""Hands approved trades to execution, off the request path, and keeps them moving.

Subscribes to ``approval.decided`` events; every approved trade is executed on a small
worker pool. ``tick()`` (run every few seconds by the service, or by hand) re-dispatches
approved trades (e.g. after a kill switch is lifted or a restart), settles working orders
and sweeps approval timeouts. ``recover()`` runs at start-up before anything else.
Exactly-once holds whatever calls what: the hand-off and every placement are conditional.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

import structlog

from desk.adapters.trading_venue import Venue
from desk.domain.approval_model import RequestState
from desk.domain.errors import DeskError
from desk.services import approvals, trading
from desk.services.ports.context import Context
from desk.services.ports.events import DomainEvent

log = structlog.get_logger(__name__)


class ExecutionDispatcher:
    """``venues(request_id)`` picks the venue of a request (paper, or Kite when live)."""

    def __init__(
        self,
        ctx: Context,
        paper: Venue,
        *,
        venues: Callable[[str], Venue] | None = None,
        workers: int = 2,
    ) -> None:
        self._ctx = ctx
        self._paper = paper
        self._venues = venues or (lambda _request_id: paper)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="desk-exec")
        self._inflight: dict[str, Future[trading.TradeResult | None]] = {}
        self._lock = threading.Lock()
        self._unsubscribe = ctx.events.subscribe(self._on_event)
        self.results: list[trading.TradeResult] = []

    def _on_event(self, event: DomainEvent) -> None:
        data = event.data
        if (
            event.topic == "approval.decided"
            and data.get("kind") == "trade"
            and data.get("state") == RequestState.APPROVED.value
        ):
            self.submit(event.subject_id)

    def submit(self, request_id: str) -> Future[trading.TradeResult | None]:
        with self._lock:
            running = self._inflight.get(request_id)
            if running is not None and not running.done():
                return running
            future = self._pool.submit(self._execute, request_id)
            self._inflight[request_id] = future
            return future

    def _execute(self, request_id: str) -> trading.TradeResult | None:
        try:
            venue = self._venues(request_id)
            result = trading.execute_request(self._ctx, venue.executor, venue.market, request_id)
        except DeskError as exc:
            log.warning("execution_refused", request_id=request_id, error=exc.message)
            return None
        except Exception:
            log.exception("execution_crashed", request_id=request_id)
            return None
        log.info("execution_result", request_id=request_id, outcome=result.outcome.value)
        self.results.append(result)
        return result

    def recover(self) -> None:
        """Start-up: every request left executing is reconciled with its broker by tag (an
        order already placed is adopted, never placed again), then everything moves on."""
        for request_id in approvals.trade_requests_in(self._ctx, RequestState.EXECUTING):
            self._execute(request_id)
        self.tick(sweep=False)

    def tick(self, *, sweep: bool = True) -> None:
        if sweep:
            approvals.sweep_timeouts(self._ctx)
            trading.expire_intraday(self._ctx)
        self._paper.tick()  # paper prices move; resting orders may fill
        for request_id in approvals.trade_requests_in(self._ctx, RequestState.EXECUTING):
            try:
                trading.settle_request(self._ctx, self._venues(request_id).executor, request_id)
            except DeskError as exc:
                log.warning("settle_failed", request_id=request_id, error=exc.message)
        for request_id in approvals.trade_requests_in(self._ctx, RequestState.APPROVED):
            self.submit(request_id)

    def drain(self, timeout: float = 30.0) -> None:
        with self._lock:
            futures = list(self._inflight.values())
        wait(futures, timeout=timeout)

    def close(self) -> None:
        self._unsubscribe()
        self._pool.shutdown(wait=True, cancel_futures=True)
