"""What notebooks show: validation problems, config diffs and a run's report as Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import polars as pl

from desk.domain.agent_config import FieldChange
from desk.domain.errors import DeskError
from desk.domain.runs import AnalysisRun


def problems_frame(error: DeskError) -> pl.DataFrame:
    """One row per bad field (``field``, ``problem``); the message alone when none is named."""
    rows = [{"field": f, "problem": why} for f, why in sorted(error.fields.items())]
    if not rows:
        rows = [{"field": "-", "problem": error.message}]
    return pl.DataFrame(rows, schema={"field": pl.String, "problem": pl.String})


def diff_frame(changes: Sequence[FieldChange]) -> pl.DataFrame:
    """``field | old | new`` with values as compact JSON."""
    rows = [{"field": c.field, "old": _json(c.old), "new": _json(c.new)} for c in changes]
    return pl.DataFrame(rows, schema={"field": pl.String, "old": pl.String, "new": pl.String})


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def report_markdown(run: AnalysisRun) -> str:
    """The run's headline, report, proposals and evidence in one Markdown document."""
    lines = [
        f"# Run `{run.id[:12]}` — {run.status.value}",
        "",
        f"*{run.mode.value}* run of `{run.model}`"
        + (f" (replay `{run.replay}`)" if run.replay else "")
        + f": {run.steps} steps, {run.prompt_tokens + run.completion_tokens} tokens, "
        f"${run.cost_usd} cost.",
        "",
        f"> {run.query}",
        "",
    ]
    if run.error:
        lines += [f"**Error:** {run.error}", ""]
    lines += [run.result_text or "_No report._", ""]
    lines += proposals_markdown(run.proposals)
    lines += evidence_markdown(run.proposals)
    return "\n".join(lines).rstrip() + "\n"


def proposals_markdown(proposals: Sequence[dict[str, Any]]) -> list[str]:
    if not proposals:
        return ["## Proposals", "", "_The run proposed no trade._", ""]
    lines = [
        "## Proposals",
        "",
        "| instrument | side | qty | type | price | product | rationale |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in proposals:
        lines.append(
            f"| {p.get('instrument')} | {p.get('side')} | {p.get('quantity')} | "
            f"{p.get('order_type')} | {p.get('price') or '-'} | {p.get('product')} | "
            f"{_cell(p.get('rationale'))} |"
        )
    return [*lines, ""]


def evidence_markdown(proposals: Sequence[dict[str, Any]]) -> list[str]:
    seen: dict[str, bool] = {}
    for p in proposals:
        for item in p.get("evidence") or []:
            url = str(item.get("url"))
            seen[url] = seen.get(url, False) or bool(item.get("opened"))
    if not seen:
        return []
    lines = ["## Evidence", ""]
    for url, opened in seen.items():
        lines.append(f"- {url}" + ("" if opened else " — *cited but never opened by the run*"))
    return [*lines, ""]


def _cell(value: object) -> str:
    return str(value or "").replace("|", "\\|").replace("\n", " ")
