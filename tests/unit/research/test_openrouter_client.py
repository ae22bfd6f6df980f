"""OpenRouterClient over httpx.MockTransport: wire format, usage, retries, errors, models."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from desk.adapters.openrouter.client import OpenRouterClient
from desk.domain.research import ChatMessage, Role, ToolCall, ToolSpec
from desk.domain.secret import Secret
from desk.services.ports.llm import (
    LlmAuthError,
    LlmBadRequestError,
    LlmCreditsError,
    LlmForbiddenError,
    LlmModelError,
    LlmUnavailableError,
)

pytestmark = pytest.mark.anyio

KEY = "sk-or-v1-unit-test-key-000"
BASE = "http://openrouter.test/api/v1"


def reply(
    message: dict[str, Any], usage: dict[str, Any] | None = None, **extra: Any
) -> httpx.Response:
    choice = {"index": 0, "finish_reason": extra.pop("finish_reason", "stop"), "message": message}
    choice.update(extra)
    body: dict[str, Any] = {"id": "gen-1", "model": "fake/analyst-1", "choices": [choice]}
    if usage is not None:
        body["usage"] = usage
    return httpx.Response(200, json=body)


class Server:
    """A scripted transport that remembers what it was sent."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


def client(server: Server, key: str | None = KEY, **kwargs: Any) -> OpenRouterClient:
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(server))
    return OpenRouterClient(
        Secret(key) if key is not None else None,
        http=http,
        referer="https://desk.example",
        app_title="Desk",
        backoff_base_s=0.001,
        **kwargs,
    )


TOOL = ToolSpec("get_ltp", "Last price", {"type": "object", "properties": {}})


async def test_request_wire_format_headers_and_tool_round_trip() -> None:
    server = Server(
        reply(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "get_ltp",
                            "arguments": '{"instruments":["NSE:INFY"]}',
                        },
                    }
                ],
            },
            {"prompt_tokens": 194, "completion_tokens": 22, "cost": 0.00095},
            finish_reason="tool_calls",
        )
    )
    history = [
        ChatMessage.system("sys"),
        ChatMessage.user("hi"),
        ChatMessage(Role.ASSISTANT, None, (ToolCall("call_0", "get_ltp", "{}"),)),
        ChatMessage.tool("call_0", "get_ltp", '{"NSE:INFY": "1.0"}'),
    ]
    completion = await client(server).complete(
        "fake/analyst-1", history, [TOOL], temperature=0.2, max_tokens=500
    )
    request = server.requests[0]
    assert request.url.path == "/api/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["http-referer"] == "https://desk.example"
    assert request.headers["x-title"] == "Desk"
    body = server.body()
    assert body["tools"][0] == {
        "type": "function",
        "function": {"name": "get_ltp", "description": "Last price", "parameters": TOOL.parameters},
    }
    assert body["messages"][2]["tool_calls"][0]["function"]["arguments"] == "{}"
    assert body["messages"][3] == {
        "role": "tool",
        "content": '{"NSE:INFY": "1.0"}',
        "tool_call_id": "call_0",
        "name": "get_ltp",
    }
    assert body["temperature"] == 0.2 and body["max_tokens"] == 500
    assert completion.finish_reason == "tool_calls"
    assert completion.message.tool_calls == (
        ToolCall("call_1", "get_ltp", '{"instruments":["NSE:INFY"]}'),
    )
    assert completion.usage.cost_usd == Decimal("0.00095")  # exact, never via float
    assert completion.usage.total_tokens == 216


async def test_retry_after_is_honoured_then_success() -> None:
    server = Server(
        httpx.Response(
            429,
            headers={"Retry-After": "0.05"},
            json={"error": {"code": 429, "message": "slow down"}},
        ),
        httpx.Response(503, json={"error": {"code": 503, "message": "no provider"}}),
        httpx.ReadTimeout("timed out"),
        reply({"role": "assistant", "content": "done"}),
    )
    completion = await client(server).complete("m", [ChatMessage.user("q")])
    assert completion.message.content == "done" and len(server.requests) == 4


async def test_retries_run_out_into_unavailable() -> None:
    server = Server(*[httpx.Response(500, json={"error": {"code": 500, "message": "boom"}})] * 3)
    with pytest.raises(LlmUnavailableError, match="500"):
        await client(server, max_attempts=3).complete("m", [ChatMessage.user("q")])
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, LlmAuthError),
        (402, LlmCreditsError),
        (403, LlmForbiddenError),
        (400, LlmBadRequestError),
    ],
)
async def test_client_errors_are_not_retried(status: int, error: type[Exception]) -> None:
    server = Server(httpx.Response(status, json={"error": {"code": status, "message": "nope"}}))
    with pytest.raises(error):
        await client(server).complete("m", [ChatMessage.user("q")])
    assert len(server.requests) == 1


async def test_choice_error_on_http_200_is_retried() -> None:
    server = Server(
        reply(
            {"role": "assistant", "content": ""},
            finish_reason="error",
            error={"code": 502, "message": "provider died mid-generation"},
        ),
        reply({"role": "assistant", "content": ""}),  # empty 200 (cold start) is retried too
        reply({"role": "assistant", "content": "ok"}),
    )
    completion = await client(server).complete("m", [ChatMessage.user("q")])
    assert completion.message.content == "ok" and len(server.requests) == 3


async def test_top_level_error_in_200_body_maps_to_the_code() -> None:
    server = Server(httpx.Response(200, json={"error": {"code": 402, "message": "balance"}}))
    with pytest.raises(LlmCreditsError):
        await client(server).complete("m", [ChatMessage.user("q")])


async def test_missing_key_is_a_clear_error_without_a_request() -> None:
    server = Server()
    with pytest.raises(LlmAuthError, match="No OpenRouter API key"):
        await client(server, key=None).complete("m", [ChatMessage.user("q")])
    assert server.requests == []


async def test_key_never_appears_in_reprs() -> None:
    openrouter = client(Server())
    assert KEY not in repr(openrouter.__dict__)


MODELS = {
    "data": [
        {
            "id": "fake/analyst-1",
            "name": "A",
            "context_length": 1000,
            "pricing": {"prompt": "0.000003", "completion": "0.000015"},
            "supported_parameters": ["tools"],
        },
        {
            "id": "fake/chat",
            "name": "C",
            "pricing": {"prompt": "0", "completion": "0"},
            "supported_parameters": [],
        },
    ]
}


async def test_models_with_pricing_validate_and_price_missing_cost() -> None:
    server = Server(
        httpx.Response(200, json=MODELS),
        reply(
            {"role": "assistant", "content": "x"}, {"prompt_tokens": 1000, "completion_tokens": 100}
        ),
    )
    openrouter = client(server)
    models = await openrouter.list_models()
    assert models[0].prompt_price == Decimal("0.000003") and models[0].supports_tools
    assert (await openrouter.validate_model("fake/analyst-1")).id == "fake/analyst-1"
    with pytest.raises(LlmModelError, match="tool"):
        await openrouter.validate_model("fake/chat")
    with pytest.raises(LlmModelError, match="Unknown"):
        await openrouter.validate_model("nope/nope")
    completion = await openrouter.complete("fake/analyst-1", [ChatMessage.user("q")])
    assert completion.usage.cost_usd == Decimal("0.004500")
