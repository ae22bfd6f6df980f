"""DataFrames and renderings the notebooks show (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl

from desk.domain.agent_config import FieldChange
from desk.domain.errors import ValidationError
from desk.domain.runs import AnalysisRun, RunEvent, RunMode, RunStatus
from desk.notebook import frames
from desk.notebook.render import diff_frame, problems_frame, report_markdown

T0 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def run(i: int, model: str, cost: str, *, status: RunStatus = RunStatus.COMPLETED) -> AnalysisRun:
    return AnalysisRun(
        id=f"r{i}", agent_id="a1", config_version=1, query=f"q{i}", model=model, status=status,
        mode=RunMode.REPLAY, replay="infosys_research", created_by="u", created_at=T0,
        started_at=T0, completed_at=T0 + timedelta(seconds=i), prompt_tokens=100 * i,
        completion_tokens=10 * i, cost_usd=Decimal(cost), steps=i,
    )  # fmt: skip


def test_runs_frame_keeps_decimal_cost_and_derives_tokens_and_duration() -> None:
    frame = frames.runs_frame([run(1, "m1", "0.0153"), run(2, "m2", "0.01")], {"a1": "infy"})
    assert frame.schema["cost_usd"] == frames.COST
    first = frame.row(0, named=True)
    assert first["agent"] == "infy"
    assert first["total_tokens"] == 110
    assert first["duration_s"] == 1.0
    assert first["cost_usd"] == Decimal("0.0153")


def test_empty_frames_keep_their_schema() -> None:
    assert frames.runs_frame([], {}).columns == list(frames.RUN_SCHEMA)
    assert frames.events_frame([]).columns == list(frames.EVENT_SCHEMA)
    assert frames.audit_frame([]).height == 0


def test_usage_summary_sums_exactly_per_model() -> None:
    runs = [run(1, "m1", "0.0001"), run(2, "m1", "0.0002"), run(3, "m2", "0.5")]
    summary = frames.usage_summary(frames.runs_frame(runs, {}), "model")
    m1 = summary.filter(pl.col("model") == "m1").row(0, named=True)
    assert m1["runs"] == 2
    assert m1["cost_usd"] == Decimal("0.0003")
    assert m1["total_tokens"] == 330
    assert m1["mean_duration_s"] == 1.5


def test_tool_calls_pairs_calls_and_results_by_call_id() -> None:
    def ev(seq: int, kind: str, payload: dict[str, object]) -> RunEvent:
        return RunEvent("r1", seq, kind, payload, T0)

    events = frames.events_frame(
        [
            ev(1, "tool_call", {"id": "c1", "name": "open_webpage", "step": 1, "arguments": "A"}),
            ev(2, "tool_call", {"id": "c2", "name": "open_webpage", "step": 1, "arguments": "B"}),
            ev(3, "tool_result", {"id": "c2", "name": "open_webpage", "step": 1, "summary": "b"}),
            ev(4, "tool_result", {"id": "c1", "name": "open_webpage", "step": 1, "summary": "a"}),
            ev(5, "usage", {"step": 1, "total_tokens": 10}),
        ]
    )
    calls = frames.tool_calls(events)
    assert calls.select("arguments", "result").rows() == [("A", "a"), ("B", "b")]


def test_problems_frame_lists_every_bad_field() -> None:
    error = ValidationError("bad", fields={"quorum": "too big", "model": "required"})
    assert problems_frame(error).rows() == [("model", "required"), ("quorum", "too big")]
    assert problems_frame(ValidationError("only a message")).rows() == [("-", "only a message")]


def test_diff_frame_shows_json_values() -> None:
    frame = diff_frame([FieldChange("universe", ["NSE:INFY"], ["NSE:INFY", "NSE:TCS"])])
    assert frame.row(0) == ("universe", '["NSE:INFY"]', '["NSE:INFY", "NSE:TCS"]')


def test_report_markdown_has_proposals_and_flags_unopened_evidence() -> None:
    proposal = {
        "instrument": "NSE:INFY", "side": "BUY", "quantity": 10, "order_type": "LIMIT",
        "price": "1510.00", "product": "CNC", "rationale": "a | b",
        "evidence": [{"url": "http://x/opened", "opened": True},
                     {"url": "http://x/rumour", "opened": False}],
    }  # fmt: skip
    base = run(1, "m1", "0.01")
    text = report_markdown(
        AnalysisRun(**{**_fields(base), "result_text": "## Report", "proposals": (proposal,)})
    )
    assert "## Report" in text
    assert "| NSE:INFY | BUY | 10 | LIMIT | 1510.00 | CNC | a \\| b |" in text
    assert "- http://x/opened\n" in text
    assert "http://x/rumour — *cited but never opened" in text
    assert "_The run proposed no trade._" in report_markdown(base)


def _fields(r: AnalysisRun) -> dict[str, object]:
    return {name: getattr(r, name) for name in r.__dataclass_fields__}
