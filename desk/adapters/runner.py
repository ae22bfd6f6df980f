"""The in-process background runner: bounded concurrency, one event loop per run."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import structlog

from desk.domain.runs import AnalysisRun
from desk.services import runs
from desk.services.ports.context import Context
from desk.services.ports.research_engine import ResearchEngine

log = structlog.get_logger(__name__)


class InProcessRunner:
    """Runs analysis runs on a small thread pool (``DESK_RUNNER_CONCURRENCY``)."""

    def __init__(
        self,
        ctx: Context,
        engine: ResearchEngine,
        *,
        concurrency: int = 4,
        proposals: runs.ProposalSink | None = None,
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._proposals = proposals
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="desk-run")
        self._futures: dict[str, Future[AnalysisRun]] = {}
        self._lock = threading.Lock()
        self._closed = False

    @property
    def alive(self) -> bool:
        return not self._closed

    def run_now(self, run_id: str) -> AnalysisRun:
        """Execute in the calling thread (``async_mode: false``)."""
        return runs.execute_run_blocking(self._ctx, self._engine, run_id, proposals=self._proposals)

    def submit(self, run_id: str) -> Future[AnalysisRun]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the runner is shut down")
            future = self._pool.submit(self._execute, run_id)
            self._futures[run_id] = future
        future.add_done_callback(lambda _: self._forget(run_id))
        return future

    def _execute(self, run_id: str) -> AnalysisRun:
        try:
            return self.run_now(run_id)
        except Exception:
            log.exception("run_worker_crashed", run_id=run_id)
            raise

    def _forget(self, run_id: str) -> None:
        with self._lock:
            self._futures.pop(run_id, None)

    def active(self) -> list[str]:
        with self._lock:
            return list(self._futures)

    def shutdown(self, *, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
