"""Analysis runs: states and transitions (pure).

``pending → running → completed | failed | canceled``; a pending run may be canceled before
it starts. Terminal states never change. A run interrupted by a restart is marked failed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, get_args

from desk.domain.errors import ConflictError


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED})

# How run history may be sorted ("-" first: newest first).
RunOrdering = Literal[
    "-created_at", "created_at", "-started_at", "started_at", "-completed_at", "completed_at"
]
RUN_ORDERINGS: tuple[RunOrdering, ...] = get_args(RunOrdering)


class RunMode(StrEnum):
    LIVE = "live"  # real HTTP to OpenRouter and the tools
    REPLAY = "replay"  # re-executes a recorded transcript, no network


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    id: str
    agent_id: str
    config_version: int | None
    query: str
    model: str
    status: RunStatus
    mode: RunMode
    replay: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancel_requested: bool = False
    stop_reason: str | None = None
    error: str | None = None
    result_text: str | None = None
    proposals: tuple[dict[str, Any], ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal("0")
    steps: int = 0
    event_count: int = 0
    artifact_path: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return (self.completed_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class RunEvent:
    run_id: str
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


def start(run: AnalysisRun, now: datetime) -> AnalysisRun:
    if run.status is not RunStatus.PENDING:
        raise ConflictError(f"run {run.id} is {run.status.value}; only pending runs start")
    return replace(run, status=RunStatus.RUNNING, started_at=now)


def finish(
    run: AnalysisRun,
    status: RunStatus,
    now: datetime,
    **fields: Any,
) -> AnalysisRun:
    if run.is_terminal:
        raise ConflictError(f"run {run.id} is already {run.status.value}")
    if status not in TERMINAL:
        raise ValueError(f"{status} is not a final status")
    return replace(run, status=status, completed_at=now, **fields)


def request_cancel(run: AnalysisRun) -> AnalysisRun:
    """Pending runs cancel at once; running ones are told to stop at their next check."""
    if run.is_terminal:
        raise ConflictError(
            f"run {run.id} is {run.status.value}; only pending or running runs can be canceled",
            fields={"status": run.status.value},
        )
    return replace(run, cancel_requested=True)
