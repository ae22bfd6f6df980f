"""Conversion between Desk's research values and the OpenRouter/OpenAI JSON wire format."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desk.domain.research import ChatMessage, Completion, ModelInfo, Role, ToolCall, ToolSpec, Usage


def message_to_wire(message: ChatMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role.value, "content": message.content}
    if message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    if message.name is not None and message.role is Role.TOOL:
        wire["name"] = message.name
    return wire


def message_from_wire(wire: Mapping[str, Any]) -> ChatMessage:
    calls = tuple(
        ToolCall(
            id=str(call.get("id") or f"call_{index}"),
            name=str((call.get("function") or {}).get("name") or ""),
            arguments=_arguments_text((call.get("function") or {}).get("arguments")),
        )
        for index, call in enumerate(wire.get("tool_calls") or ())
    )
    content = wire.get("content")
    return ChatMessage(
        role=Role(str(wire.get("role") or "assistant")),
        content=None if content is None else str(content),
        tool_calls=calls,
        tool_call_id=wire.get("tool_call_id"),
        name=wire.get("name"),
    )


def _arguments_text(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, default=str)


def tools_to_wire(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def usage_from_wire(wire: Mapping[str, Any] | None, fallback_cost: Decimal | None) -> Usage:
    wire = wire or {}
    prompt = int(wire.get("prompt_tokens") or 0)
    completion = int(wire.get("completion_tokens") or 0)
    raw_cost = wire.get("cost")
    if raw_cost is not None:
        cost = Decimal(str(raw_cost))
    else:
        cost = fallback_cost if fallback_cost is not None else Decimal("0")
    return Usage(prompt, completion, cost)


def usage_to_wire(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cost": str(usage.cost_usd),
    }


def completion_to_wire(completion: Completion) -> dict[str, Any]:
    return {
        "id": completion.generation_id,
        "model": completion.model,
        "choices": [
            {
                "index": 0,
                "finish_reason": completion.finish_reason,
                "message": message_to_wire(completion.message),
            }
        ],
        "usage": usage_to_wire(completion.usage),
    }


def model_from_wire(wire: Mapping[str, Any]) -> ModelInfo:
    pricing = wire.get("pricing") or {}
    return ModelInfo(
        id=str(wire["id"]),
        name=str(wire.get("name") or wire["id"]),
        context_length=int(wire.get("context_length") or 0),
        prompt_price=Decimal(str(pricing.get("prompt") or "0")),
        completion_price=Decimal(str(pricing.get("completion") or "0")),
        supports_tools="tools" in (wire.get("supported_parameters") or ()),
    )
