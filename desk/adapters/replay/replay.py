"""Replay a recorded research run: the loop runs again, the model and tools do not."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from typing import Any

from desk.adapters.openrouter.wire import message_from_wire, usage_from_wire
from desk.adapters.replay.transcript import (
    ReplayDivergenceError,
    request_digest,
    request_from_json,
    spec_from_json,
    tool_result_from_json,
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
from desk.services.ports import llm as llm_port

_ERRORS: dict[str, type[DeskError]] = {
    cls.__name__: cls
    for cls in (
        llm_port.LlmError,
        llm_port.LlmAuthError,
        llm_port.LlmCreditsError,
        llm_port.LlmForbiddenError,
        llm_port.LlmBadRequestError,
        llm_port.LlmUnavailableError,
        llm_port.LlmModelError,
    )
}


def _completion_from(raw: Mapping[str, Any]) -> Completion:
    choice = raw["choices"][0]
    return Completion(
        message=message_from_wire(choice["message"]),
        finish_reason=str(choice.get("finish_reason") or "stop"),
        usage=usage_from_wire(raw.get("usage"), None),
        model=str(raw.get("model") or ""),
        generation_id=str(raw.get("id") or ""),
    )


class ReplayLlm:
    """Answers from the transcript in order; refuses a request the recording did not make."""

    def __init__(self, transcript: Mapping[str, Any], *, strict: bool = True) -> None:
        self._entries = deque(transcript.get("completions") or ())
        self._strict = strict

    async def complete(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        if not self._entries:
            raise ReplayDivergenceError(
                "The replayed run asked the model more often than recorded."
            )
        entry = self._entries.popleft()
        if self._strict and entry["request_sha256"] != request_digest(model, messages, tools):
            raise ReplayDivergenceError("The replayed run sent the model a different conversation.")
        if "error" in entry:
            error_type = _ERRORS.get(entry["error"]["type"], llm_port.LlmError)
            raise error_type(entry["error"]["message"])
        return _completion_from(entry["response"])

    async def list_models(self) -> list[ModelInfo]:
        return []


class ReplayToolbox:
    """Returns each call's recorded result, matched by call id (then by order)."""

    def __init__(self, transcript: Mapping[str, Any]) -> None:
        self._specs = [spec_from_json(s) for s in transcript.get("tools") or ()]
        self._results: dict[str, deque[tuple[dict[str, str], ToolResult]]] = defaultdict(deque)
        for entry in transcript.get("tool_results") or ():
            call = entry["call"]
            self._results[call["id"]].append((call, tool_result_from_json(entry["result"])))

    @property
    def specs(self) -> Sequence[ToolSpec]:
        return self._specs

    async def invoke(self, call: ToolCall) -> ToolResult:
        queue = self._results.get(call.id)
        if not queue:
            raise ReplayDivergenceError(f"No recorded result for tool call {call.id}.")
        recorded, result = queue.popleft()
        if recorded["name"] != call.name or recorded["arguments"] != call.arguments:
            raise ReplayDivergenceError(f"Tool call {call.id} differs from the recording.")
        return result


def replay_request(transcript: Mapping[str, Any]) -> ResearchRequest:
    return request_from_json(transcript["request"])


def recorded_events(transcript: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(transcript.get("events") or ())
