"""Domain objects as polars DataFrames, and the summaries the notebooks plot (pure).

Money stays ``Decimal`` in the frames (polars ``Decimal``); convert to float only to plot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import polars as pl

from desk.domain.audit import AuditEvent
from desk.domain.runs import AnalysisRun, RunEvent

COST = pl.Decimal(precision=18, scale=6)
RUN_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "agent_id": pl.String,
    "agent": pl.String,
    "status": pl.String,
    "mode": pl.String,
    "model": pl.String,
    "query": pl.String,
    "config_version": pl.Int64,
    "created_at": pl.Datetime("us", "UTC"),
    "started_at": pl.Datetime("us", "UTC"),
    "completed_at": pl.Datetime("us", "UTC"),
    "duration_s": pl.Float64,
    "steps": pl.Int64,
    "prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
    "total_tokens": pl.Int64,
    "cost_usd": COST,
    "proposals": pl.Int64,
    "stop_reason": pl.String,
    "error": pl.String,
    "artifact_path": pl.String,
}
EVENT_SCHEMA: dict[str, Any] = {
    "seq": pl.Int64,
    "kind": pl.String,
    "step": pl.Int64,
    "created_at": pl.Datetime("us", "UTC"),
    "tool": pl.String,
    "call_id": pl.String,
    "summary": pl.String,
    "payload": pl.String,
}
AUDIT_SCHEMA: dict[str, Any] = {
    "seq": pl.Int64,
    "occurred_at": pl.Datetime("us", "UTC"),
    "action": pl.String,
    "actor": pl.String,
    "channel": pl.String,
    "subject_type": pl.String,
    "subject_id": pl.String,
    "payload": pl.String,
    "hash": pl.String,
}


def runs_frame(runs: Iterable[AnalysisRun], agent_names: Mapping[str, str]) -> pl.DataFrame:
    """One row per run with tokens, cost (Decimal) and duration; empty frames keep the schema."""
    rows = [
        {
            "id": r.id, "agent_id": r.agent_id, "agent": agent_names.get(r.agent_id, r.agent_id),
            "status": r.status.value, "mode": r.mode.value, "model": r.model, "query": r.query,
            "config_version": r.config_version, "created_at": r.created_at,
            "started_at": r.started_at, "completed_at": r.completed_at,
            "duration_s": r.duration_s, "steps": r.steps, "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "total_tokens": r.prompt_tokens + r.completion_tokens,
            "cost_usd": Decimal(r.cost_usd), "proposals": len(r.proposals),
            "stop_reason": r.stop_reason, "error": r.error, "artifact_path": r.artifact_path,
        }
        for r in runs
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=RUN_SCHEMA)


def events_frame(events: Iterable[RunEvent]) -> pl.DataFrame:
    """A run's events; ``tool`` and ``summary`` are lifted out of tool calls and results."""
    rows = []
    for e in events:
        p = e.payload
        is_tool = e.kind in ("tool_call", "tool_result")
        summary = p.get("summary") or p.get("arguments") or p.get("message") or p.get("content")
        rows.append(
            {
                "seq": e.seq,
                "kind": e.kind,
                "step": p.get("step") if isinstance(p.get("step"), int) else None,
                "created_at": e.created_at,
                "tool": p.get("name") if is_tool else None,
                "call_id": str(p["id"]) if is_tool and p.get("id") is not None else None,
                "summary": str(summary)[:200] if summary is not None else None,
                "payload": json.dumps(p, sort_keys=True, default=str),
            }
        )
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def audit_frame(events: Iterable[AuditEvent]) -> pl.DataFrame:
    rows = [
        {
            "seq": e.seq, "occurred_at": e.occurred_at, "action": e.action,
            "actor": e.actor_label, "channel": e.channel, "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "payload": json.dumps(dict(e.payload), sort_keys=True, default=str),
            "hash": e.hash[:16],
        }
        for e in events
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=AUDIT_SCHEMA).sort("seq")


def usage_summary(runs: pl.DataFrame, by: str | Sequence[str] = "model") -> pl.DataFrame:
    """Runs, tokens, cost and duration per ``by`` (e.g. ``"model"`` or ``"agent"``)."""
    keys = [by] if isinstance(by, str) else list(by)
    return (
        runs.group_by(keys)
        .agg(
            pl.len().alias("runs"),
            (pl.col("status") == "completed").sum().alias("completed"),
            pl.col("prompt_tokens").sum(),
            pl.col("completion_tokens").sum(),
            pl.col("total_tokens").sum(),
            pl.col("cost_usd").sum(),
            pl.col("duration_s").mean().alias("mean_duration_s"),
            pl.col("duration_s").max().alias("max_duration_s"),
        )
        .sort(keys)
    )


def tool_calls(events: pl.DataFrame) -> pl.DataFrame:
    """Tool calls of a run with their result summary, one row per call."""
    calls = events.filter(pl.col("kind") == "tool_call").select(
        "seq", "step", "call_id", "tool", pl.col("summary").alias("arguments")
    )
    results = events.filter(pl.col("kind") == "tool_result").select(
        "call_id", pl.col("summary").alias("result")
    )
    return calls.join(results, on="call_id", how="left").sort("seq").drop("seq")


def rows_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pl.DataFrame:
    """A string-typed frame with exactly ``columns`` (missing values are null)."""
    data = [{c: _text(row.get(c)) for c in columns} for row in rows]
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)
