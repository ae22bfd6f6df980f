"""Server-sent-events parsing for streamed chat completions.

Chunks are folded back into the shape of a non-streamed response so one code path turns both
into a :class:`Completion`. An error after streaming started arrives as a ``data:`` event with a
top-level ``error`` (still HTTP 200); it is returned for the caller to map.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class _CallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class StreamAccumulator:
    generation_id: str = ""
    model: str = ""
    finish_reason: str | None = None
    content: list[str] = field(default_factory=list)
    calls: dict[int, _CallParts] = field(default_factory=dict)
    usage: Mapping[str, Any] | None = None
    error: Mapping[str, Any] | None = None
    done: bool = False

    def feed_line(self, line: str) -> None:
        """Take one SSE line; comments (``: OPENROUTER PROCESSING``) and blanks are skipped."""
        if self.done or not line.startswith("data:"):
            return
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            return
        chunk = json.loads(data, parse_float=Decimal)
        if isinstance(chunk, dict):
            self._add(chunk)

    def _add(self, chunk: Mapping[str, Any]) -> None:
        self.generation_id = str(chunk.get("id") or self.generation_id)
        self.model = str(chunk.get("model") or self.model)
        if isinstance(chunk.get("error"), Mapping):
            self.error = chunk["error"]
            self.done = True
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
            delta = choice.get("delta") or {}
            if delta.get("content"):
                self.content.append(str(delta["content"]))
            for call in delta.get("tool_calls") or ():
                parts = self.calls.setdefault(int(call.get("index", 0)), _CallParts())
                parts.id = str(call.get("id") or parts.id)
                function = call.get("function") or {}
                parts.name = str(function.get("name") or parts.name)
                parts.arguments.append(str(function.get("arguments") or ""))

    def payload(self) -> dict[str, Any]:
        """The equivalent non-streamed response body."""
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.content) or None}
        if self.calls:
            message["tool_calls"] = [
                {
                    "id": parts.id or f"call_{index}",
                    "type": "function",
                    "function": {"name": parts.name, "arguments": "".join(parts.arguments)},
                }
                for index, parts in sorted(self.calls.items())
            ]
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": self.finish_reason or "stop",
            "message": message,
        }
        if self.error is not None:
            choice["error"] = self.error
            choice["finish_reason"] = "error"
        body: dict[str, Any] = {"id": self.generation_id, "model": self.model, "choices": [choice]}
        if self.usage is not None:
            body["usage"] = self.usage
        return body
