"""An in-process :class:`LlmClient` that follows the same scripts as :class:`FakeOpenRouter`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desk.adapters.research_fakes.openrouter import substitute
from desk.domain.research import (
    ChatMessage,
    Completion,
    ModelInfo,
    Role,
    ToolCall,
    ToolSpec,
    Usage,
)
from desk.services.ports.llm import (
    LlmAuthError,
    LlmCreditsError,
    LlmError,
    LlmForbiddenError,
    LlmUnavailableError,
)

_STATUS_ERRORS: dict[int, type[LlmError] | type[LlmAuthError] | type[LlmForbiddenError]] = {
    401: LlmAuthError,
    402: LlmCreditsError,
    403: LlmForbiddenError,
}


class ScriptedLlm:
    """Replies from the script in order; records every conversation it was sent."""

    def __init__(
        self, script: Sequence[Mapping[str, Any]], variables: Mapping[str, str] | None = None
    ) -> None:
        self.script = [substitute(dict(e), dict(variables or {})) for e in script]
        self.calls: list[list[ChatMessage]] = []
        self.tools_seen: list[list[str]] = []

    async def complete(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        self.calls.append(list(messages))
        self.tools_seen.append([t.name for t in tools])
        if len(self.calls) > len(self.script):
            raise LlmError("ScriptedLlm: the script is exhausted")
        entry = self.script[len(self.calls) - 1]
        if entry.get("delay_s"):
            await asyncio.sleep(float(entry["delay_s"]))
        status = int(entry.get("status", 200))
        if status != 200:
            error = _STATUS_ERRORS.get(status, LlmUnavailableError)
            raise error(str(entry.get("message", f"scripted HTTP {status}")))
        calls = tuple(
            ToolCall(
                id=str(c.get("id", f"call_{i}")),
                name=str(c["name"]),
                arguments=c["arguments"]
                if isinstance(c.get("arguments"), str)
                else json.dumps(c.get("arguments", {})),
            )
            for i, c in enumerate(entry.get("tool_calls") or ())
        )
        usage = entry.get("usage") or {
            "prompt_tokens": 120,
            "completion_tokens": 30,
            "cost": 0.0006,
        }
        return Completion(
            message=ChatMessage(Role.ASSISTANT, entry.get("content"), calls),
            finish_reason="tool_calls" if calls else "stop",
            usage=Usage(
                int(usage.get("prompt_tokens", 0)),
                int(usage.get("completion_tokens", 0)),
                Decimal(str(usage.get("cost", 0))),
            ),
            model=model,
            generation_id=f"gen-scripted-{len(self.calls)}",
        )

    async def list_models(self) -> list[ModelInfo]:
        return []
