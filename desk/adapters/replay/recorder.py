"""Record every model exchange, tool result and event of one research run."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from desk.adapters.openrouter.wire import completion_to_wire
from desk.adapters.replay.transcript import (
    FORMAT,
    VERSION,
    call_to_json,
    request_digest,
    request_to_json,
    save_transcript,
    spec_to_json,
    tool_result_to_json,
)
from desk.domain.errors import DeskError
from desk.domain.research import (
    ChatMessage,
    Completion,
    ModelInfo,
    ResearchRequest,
    ToolCall,
    ToolResult,
    ToolSpec,
)
from desk.services.ports.llm import LlmClient
from desk.services.ports.research_tools import Toolbox

EventSink = Callable[[str, dict[str, Any]], Awaitable[None] | None]


class Recorder:
    def __init__(self, request: ResearchRequest) -> None:
        self._request = request
        self._tools: list[ToolSpec] = []
        self._completions: list[dict[str, Any]] = []
        self._tool_results: list[dict[str, Any] | None] = []
        self._events: list[dict[str, Any]] = []

    def llm(self, inner: LlmClient) -> LlmClient:
        return _RecordingLlm(inner, self)

    def toolbox(self, inner: Toolbox) -> Toolbox:
        self._tools = list(inner.specs)
        return _RecordingToolbox(inner, self)

    def events(self, forward: EventSink | None = None) -> EventSink:
        async def sink(kind: str, payload: dict[str, Any]) -> None:
            self._events.append({"kind": kind, "payload": payload})
            if forward is not None:
                outcome = forward(kind, payload)
                if inspect.isawaitable(outcome):
                    await outcome

        return sink

    def add_completion(self, digest: str, entry: dict[str, Any]) -> None:
        self._completions.append({"request_sha256": digest, **entry})

    def reserve_tool_slot(self) -> int:
        self._tool_results.append(None)
        return len(self._tool_results) - 1

    def fill_tool_slot(self, slot: int, call: ToolCall, result: ToolResult) -> None:
        self._tool_results[slot] = {
            "call": call_to_json(call),
            "result": tool_result_to_json(result),
        }

    def transcript(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "request": request_to_json(self._request),
            "tools": [spec_to_json(s) for s in self._tools],
            "completions": list(self._completions),
            "tool_results": [r for r in self._tool_results if r is not None],
            "events": list(self._events),
        }

    def save(self, path: Path) -> None:
        save_transcript(path, self.transcript())


class _RecordingLlm:
    def __init__(self, inner: LlmClient, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def complete(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        digest = request_digest(model, messages, tools)
        try:
            completion = await self._inner.complete(
                model, messages, tools, temperature=temperature, max_tokens=max_tokens
            )
        except DeskError as exc:
            error = {"type": type(exc).__name__, "message": exc.message}
            self._recorder.add_completion(digest, {"error": error})
            raise
        self._recorder.add_completion(digest, {"response": completion_to_wire(completion)})
        return completion

    async def list_models(self) -> list[ModelInfo]:
        return await self._inner.list_models()


class _RecordingToolbox:
    def __init__(self, inner: Toolbox, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    @property
    def specs(self) -> Sequence[ToolSpec]:
        return self._inner.specs

    async def invoke(self, call: ToolCall) -> ToolResult:
        slot = self._recorder.reserve_tool_slot()  # slots keep call order, not finish order
        result = await self._inner.invoke(call)
        self._recorder.fill_tool_slot(slot, call, result)
        return result
