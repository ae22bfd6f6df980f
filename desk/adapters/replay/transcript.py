"""The JSON transcript of a research run and its (de)serialisation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from desk.adapters.openrouter.wire import message_to_wire
from desk.domain.errors import DeskError, ValidationError
from desk.domain.research import (
    Budget,
    ChatMessage,
    OpenedPage,
    ResearchRequest,
    ToolCall,
    ToolResult,
    ToolSpec,
)

FORMAT = "desk-research-transcript"
VERSION = 1


class TranscriptError(ValidationError):
    code = "transcript_invalid"


class ReplayDivergenceError(DeskError):
    """The replayed loop asked for something the recording never saw."""

    code = "replay_diverged"
    http_status = 409


def request_digest(model: str, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]) -> str:
    canonical = json.dumps(
        {
            "model": model,
            "messages": [message_to_wire(m) for m in messages],
            "tools": sorted(t.name for t in tools),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_to_json(request: ResearchRequest) -> dict[str, Any]:
    budget = request.budget
    return {
        "run_id": request.run_id,
        "model": request.model,
        "system_prompt": request.system_prompt,
        "query": request.query,
        "budget": {
            "max_steps": budget.max_steps,
            "max_tokens": budget.max_tokens,
            "max_cost_usd": None if budget.max_cost_usd is None else str(budget.max_cost_usd),
        },
        "config_version": request.config_version,
        "temperature": request.temperature,
        "max_tokens_per_call": request.max_tokens_per_call,
        "notes": list(request.notes),
    }


def request_from_json(raw: Mapping[str, Any]) -> ResearchRequest:
    budget = raw["budget"]
    cost = budget.get("max_cost_usd")
    return ResearchRequest(
        run_id=str(raw["run_id"]),
        model=str(raw["model"]),
        system_prompt=str(raw["system_prompt"]),
        query=str(raw["query"]),
        budget=Budget(
            max_steps=int(budget["max_steps"]),
            max_tokens=budget.get("max_tokens"),
            max_cost_usd=None if cost is None else Decimal(str(cost)),
        ),
        config_version=raw.get("config_version"),
        temperature=raw.get("temperature"),
        max_tokens_per_call=raw.get("max_tokens_per_call"),
        notes=tuple(raw.get("notes") or ()),
    )


def tool_result_to_json(result: ToolResult) -> dict[str, Any]:
    return {
        "content": result.content,
        "summary": result.summary,
        "is_error": result.is_error,
        "opened_pages": [
            {
                "url": p.url,
                "final_url": p.final_url,
                "content_sha256": p.content_sha256,
                "fetched_at": p.fetched_at.isoformat(),
                "title": p.title,
            }
            for p in result.opened_pages
        ],
    }


def tool_result_from_json(raw: Mapping[str, Any]) -> ToolResult:
    return ToolResult(
        content=str(raw["content"]),
        summary=str(raw["summary"]),
        is_error=bool(raw.get("is_error")),
        opened_pages=tuple(
            OpenedPage(
                url=p["url"],
                final_url=p["final_url"],
                content_sha256=p["content_sha256"],
                fetched_at=datetime.fromisoformat(p["fetched_at"]),
                title=p.get("title"),
            )
            for p in raw.get("opened_pages") or ()
        ),
    )


def call_to_json(call: ToolCall) -> dict[str, str]:
    return {"id": call.id, "name": call.name, "arguments": call.arguments}


def spec_to_json(spec: ToolSpec) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description, "parameters": spec.parameters}


def spec_from_json(raw: Mapping[str, Any]) -> ToolSpec:
    return ToolSpec(str(raw["name"]), str(raw["description"]), dict(raw["parameters"]))


def load_transcript(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TranscriptError(
            f"Cannot read transcript {path}: {exc}", fields={"transcript": "unreadable"}
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise TranscriptError(
            f"{path} is not a research transcript.", fields={"transcript": "format"}
        )
    if raw.get("version") != VERSION:
        raise TranscriptError(
            f"{path} has transcript version {raw.get('version')}, expected {VERSION}.",
            fields={"transcript": "version"},
        )
    return raw


def save_transcript(path: Path, transcript: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(transcript, indent=1, sort_keys=False) + "\n", encoding="utf-8")
