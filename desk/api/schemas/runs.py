"""Analysis runs over HTTP: start, history, status, events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from desk.api.schemas.common import NoNulls, Page
from desk.domain.runs import AnalysisRun, RunEvent

Query = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4000, pattern=r"^(?s:.)*[^\x00-\x20\x7f](?s:.)*$"),
]
ReplayName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
ModelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,199}$")]
VersionNumber = Annotated[int, Field(ge=1, le=100_000)]
RunStatusName = Literal["pending", "running", "completed", "failed", "canceled"]


class AnalyzeBody(NoNulls):
    query: Query | SkipJsonSchema[None] = Field(
        default=None,
        description="What to research (required unless `replay` is given).",
        examples=["Should we add to INFY after the Q2 results?"],
    )  # fmt: skip
    replay: ReplayName | SkipJsonSchema[None] = Field(
        default=None,
        description="Re-run a recorded transcript offline (query and model come from it).",
        examples=["infosys_research"],
    )  # fmt: skip
    model: ModelName | SkipJsonSchema[None] = Field(
        default=None,
        description="Override the config's OpenRouter model.",
    )  # fmt: skip
    config_version: VersionNumber | SkipJsonSchema[None] = Field(
        default=None,
        description="Run a specific config version (owner/admin; drafts allowed).",
    )  # fmt: skip
    async_mode: bool | SkipJsonSchema[None] = Field(
        default=None,
        description="false waits for the finished run (200); true returns at once (202). "
        "Default: AGENT_ANALYSIS_ASYNC_DEFAULT.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"query": "Is TCS a buy after the results?"},
                {"replay": "infosys_research", "async_mode": False},
            ]
        }
    )


class RunOut(BaseModel):
    id: str
    agent_id: str
    config_version: int | None
    query: str
    model: str
    status: RunStatusName
    mode: Literal["live", "replay"]
    replay: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    duration_s: float | None
    cancel_requested: bool
    stop_reason: str | None
    error: str | None
    result_text: str | None
    proposals: list[dict[str, Any]]
    prompt_tokens: int
    completion_tokens: int
    cost_usd: str = Field(description="USD as a decimal string.", examples=["0.0123"])
    steps: int
    event_count: int

    @classmethod
    def of(cls, r: AnalysisRun) -> RunOut:
        return cls(
            id=r.id, agent_id=r.agent_id, config_version=r.config_version, query=r.query,
            model=r.model, status=r.status.value, mode=r.mode.value, replay=r.replay,
            created_by=r.created_by, created_at=r.created_at, started_at=r.started_at,
            completed_at=r.completed_at, duration_s=r.duration_s,
            cancel_requested=r.cancel_requested, stop_reason=r.stop_reason, error=r.error,
            result_text=r.result_text, proposals=[dict(p) for p in r.proposals],
            prompt_tokens=r.prompt_tokens, completion_tokens=r.completion_tokens,
            cost_usd=str(r.cost_usd), steps=r.steps, event_count=r.event_count,
        )  # fmt: skip


class RunPageOut(Page[RunOut]):
    """Run history: ``count`` is exact unless ``count_exact`` is false."""

    count_exact: bool = Field(
        description="false when `count` is a lower bound: a free-text (`q`) search counts "
        "matching runs only up to 1,000 (or one past the requested page), so `count` then "
        "means 'at least this many'; `next` is still exact. Status and date filters are "
        "always counted exactly.",
        examples=[True],
    )


class AnalyzeOut(RunOut):
    status_url: str = Field(description="Poll this for the compact status.")
    stream_url: str = Field(description="Server-Sent Events of the run's events.")


class RunStatusOut(BaseModel):
    id: str
    status: RunStatusName
    is_terminal: bool
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    steps: int
    event_count: int
    stop_reason: str | None
    error: str | None

    @classmethod
    def of(cls, r: AnalysisRun) -> RunStatusOut:
        return cls(
            id=r.id, status=r.status.value, is_terminal=r.is_terminal,
            cancel_requested=r.cancel_requested, created_at=r.created_at,
            started_at=r.started_at, completed_at=r.completed_at, steps=r.steps,
            event_count=r.event_count, stop_reason=r.stop_reason, error=r.error,
        )  # fmt: skip


class RunEventOut(BaseModel):
    seq: int = Field(description="1, 2, … within the run; the SSE event id.")
    kind: str = Field(examples=["tool_call"])
    payload: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, e: RunEvent) -> RunEventOut:
        return cls(seq=e.seq, kind=e.kind, payload=dict(e.payload), created_at=e.created_at)


class RunEventPageOut(BaseModel):
    results: list[RunEventOut]
    next_after: int = Field(description="Pass as `after` to continue from here.")
    more: bool = Field(description="true when this page was full (more events are stored).")
