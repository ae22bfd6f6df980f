"""Run artifacts: the executed notebook (or other file) a run produced, linked from the run.

Also the one way an outside executor (the papermill flow) fails a run it could not finish:
the cell error becomes the run's error and an ``error`` event.
"""

from __future__ import annotations

from dataclasses import replace

from desk.domain import runs as rules
from desk.domain.errors import ConcurrencyError, NotFoundError, ValidationError
from desk.domain.runs import AnalysisRun
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import atomically

MAX_PATH = 1_000
MAX_ERROR = 2_000


def _load(uow: UnitOfWork, run_id: str) -> AnalysisRun:
    run = uow.runs.get(run_id)
    if run is None:
        raise NotFoundError(f"no run {run_id!r}", fields={"run_id": "unknown run"})
    return run


def set_artifact(ctx: Context, run_id: str, path: str) -> AnalysisRun:
    """Link ``path`` (an executed notebook, a report) to the run, whatever its status."""
    text = path.strip()
    if not text or len(text) > MAX_PATH:
        raise ValidationError(
            f"artifact path must be 1-{MAX_PATH} characters", fields={"artifact_path": "invalid"}
        )

    def work(uow: UnitOfWork) -> AnalysisRun:
        run = _load(uow, run_id)
        linked = replace(run, artifact_path=text)
        if not uow.runs.save(linked, expected_status=run.status):
            raise ConcurrencyError("the run moved; retry")
        return linked

    return atomically(ctx, work)


def fail_run(ctx: Context, run_id: str, error: str) -> AnalysisRun:
    """Mark an unfinished run failed with ``error`` (a finished run is returned unchanged)."""
    message = (error.strip() or "the run failed")[:MAX_ERROR]

    def work(uow: UnitOfWork) -> AnalysisRun:
        run = _load(uow, run_id)
        if run.is_terminal:
            return run
        failed = rules.finish(run, rules.RunStatus.FAILED, ctx.clock.now(), error=message)
        if not uow.runs.save(failed, expected_status=run.status):
            raise ConcurrencyError("the run moved; retry")
        uow.runs.append_event(
            run_id, "error", {"code": "notebook_failed", "message": message[:500]}, ctx.clock.now()
        )
        return failed

    return atomically(ctx, work)
