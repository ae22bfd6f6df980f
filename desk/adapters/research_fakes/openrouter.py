"""A fake OpenRouter that follows a scripted conversation in the real wire format.

A script is a list of JSON entries, one per ``POST /api/v1/chat/completions``:

* a reply: ``{"content": "...", "tool_calls": [{"id", "name", "arguments"}], "usage": {...},
  "finish_reason": "...", "delay_s": 0.1}`` — ``arguments`` may be an object (encoded for you)
  or a raw string (to send malformed JSON);
* an HTTP error: ``{"status": 429, "retry_after": "1", "message": "..."}``;
* a 200 carrying a choice-level error: ``{"choice_error": {"code": 502, "message": "..."}}``;
* an empty 200 (cold start): ``{"empty": true}``;
* for streamed requests (``"stream": true``), an error after streaming started:
  ``{"content": "partial", "stream_error": {"code": 502, "message": "..."}}``.

``$NAME`` placeholders in strings are replaced from ``variables`` (e.g. ``$WEB`` → the fake web
server's base URL).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

DEFAULT_USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "cost": 0.0006}
DEFAULT_MODELS: list[dict[str, Any]] = [
    {
        "id": "fake/analyst-1",
        "name": "Fake Analyst 1",
        "context_length": 128000,
        "pricing": {"prompt": "0.000003", "completion": "0.000015", "request": "0"},
        "supported_parameters": ["tools", "tool_choice", "temperature", "max_tokens"],
    },
    {
        "id": "fake/no-tools",
        "name": "Fake Chat Only",
        "context_length": 8000,
        "pricing": {"prompt": "0.0000001", "completion": "0.0000002"},
        "supported_parameters": ["temperature"],
    },
]


def substitute(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace(f"${name}", replacement)
        return value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def load_script(path: Path) -> list[dict[str, Any]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return list(raw["script"] if isinstance(raw, dict) else raw)


class FakeOpenRouter:
    """State (received requests, script position) is readable from tests after each call."""

    def __init__(
        self,
        script: Sequence[Mapping[str, Any]],
        *,
        api_key: str | None = "sk-or-v1-fake",
        variables: Mapping[str, str] | None = None,
        models: Sequence[Mapping[str, Any]] | None = None,
        model: str = "fake/analyst-1",
    ) -> None:
        self.script = [dict(entry) for entry in script]
        self.variables = dict(variables or {})
        self.api_key = api_key
        self.models = list(models or DEFAULT_MODELS)
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._position = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/api/v1/chat/completions", self._complete, methods=["POST"]),
                Route("/api/v1/models", self._models, methods=["GET"]),
                Route("/api/v1/key", self._key, methods=["GET"]),
            ]
        )

    @property
    def remaining(self) -> int:
        return len(self.script) - self._position

    def _authorised(self, request: Request) -> bool:
        return self.api_key is None or request.headers.get("authorization") == (
            f"Bearer {self.api_key}"
        )

    async def _complete(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "No auth credentials found")
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            if self._position >= len(self.script):
                return _error(400, "fake OpenRouter: the script is exhausted")
            entry = substitute(self.script[self._position], self.variables)
            self._position += 1
        if entry.get("delay_s") and await _client_left(request, float(entry["delay_s"])):
            return _error(499, "client closed the request")
        return self._respond(entry, body)

    def _respond(self, entry: dict[str, Any], body: Mapping[str, Any]) -> Response:
        status = int(entry.get("status", 200))
        if status != 200:
            headers = {"Retry-After": str(entry["retry_after"])} if "retry_after" in entry else {}
            return _error(status, str(entry.get("message", "scripted error")), headers)
        generation = f"gen-fake-{next(self._ids)}"
        headers = {"X-Generation-Id": generation}
        model = str(body.get("model") or self.model)
        if entry.get("empty"):
            return JSONResponse({"id": generation, "model": model, "choices": []}, headers=headers)
        if body.get("stream"):
            return StreamingResponse(
                _sse(entry, generation, model), media_type="text/event-stream", headers=headers
            )
        choice: dict[str, Any] = {"index": 0, "message": _message(entry)}
        if "choice_error" in entry:
            choice["error"] = entry["choice_error"]
            choice["finish_reason"] = "error"
        else:
            default_reason = "tool_calls" if entry.get("tool_calls") else "stop"
            choice["finish_reason"] = entry.get("finish_reason", default_reason)
        usage = dict(entry.get("usage") or DEFAULT_USAGE)
        usage["total_tokens"] = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
        payload = {
            "id": generation,
            "object": "chat.completion",
            "created": 1767225600,
            "model": model,
            "provider": "FakeProvider",
            "choices": [choice],
            "usage": usage,
        }
        return JSONResponse(payload, headers=headers)

    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"data": self.models})

    async def _key(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return _error(401, "No auth credentials found")
        return JSONResponse(
            {
                "data": {
                    "label": "sk-or-v1-fak...ake",
                    "limit": None,
                    "usage": 0,
                    "is_free_tier": False,
                }
            }
        )


async def _client_left(request: Request, delay_s: float) -> bool:
    """Sleep ``delay_s`` in small steps; True as soon as the client disconnects."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + delay_s
    while loop.time() < deadline:
        if await request.is_disconnected():
            return True
        await asyncio.sleep(min(0.05, max(0.0, deadline - loop.time())))
    return False


async def _sse(entry: Mapping[str, Any], generation: str, model: str) -> AsyncIterator[bytes]:
    """The scripted reply as SSE chunks: content in two pieces, arguments in fragments."""

    def event(payload: Mapping[str, Any]) -> bytes:
        return f"data: {json.dumps(payload)}\n\n".encode()

    def chunk(delta: Mapping[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": generation,
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [{"index": 0, "delta": dict(delta), "finish_reason": finish}],
        }

    yield b": OPENROUTER PROCESSING\n\n"
    message = _message(entry)
    text = message.get("content") or ""
    half = len(text) // 2
    for piece in (text[:half], text[half:]):
        if piece:
            yield event(chunk({"role": "assistant", "content": piece}))
    if "stream_error" in entry:
        yield event({**chunk({}, "error"), "error": entry["stream_error"]})
        return
    for index, call in enumerate(message.get("tool_calls") or ()):
        arguments = call["function"]["arguments"]
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": arguments[:5]},
        }
        yield event(chunk({"tool_calls": [head]}))
        tail = {"index": index, "function": {"arguments": arguments[5:]}}
        yield event(chunk({"tool_calls": [tail]}))
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    usage = dict(entry.get("usage") or DEFAULT_USAGE)
    yield event({**chunk({}, finish), "usage": usage})
    yield b"data: [DONE]\n\n"


def _message(entry: Mapping[str, Any]) -> dict[str, Any]:
    calls = [
        {
            "id": call.get("id", f"call_{index}"),
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": call["arguments"]
                if isinstance(call.get("arguments"), str)
                else json.dumps(call.get("arguments", {})),
            },
        }
        for index, call in enumerate(entry.get("tool_calls") or ())
    ]
    message: dict[str, Any] = {"role": "assistant", "content": entry.get("content")}
    if calls:
        message["tool_calls"] = calls
    return message


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": status, "message": message, "metadata": {}}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))
