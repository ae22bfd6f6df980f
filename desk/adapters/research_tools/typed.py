"""A tool whose JSON schema comes from a pydantic model of its arguments.

Arguments the model got wrong (bad JSON, wrong types, missing fields) come back to the model as
an error result it can correct, never as an exception.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import pydantic

from desk.domain.errors import DeskError
from desk.domain.research import ToolResult, ToolSpec

A = TypeVar("A", bound=pydantic.BaseModel)


def schema_of(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    schema.setdefault("properties", {})
    schema.setdefault("type", "object")
    return schema


def error_result(message: str) -> ToolResult:
    return ToolResult(content=json.dumps({"error": message}), summary=message, is_error=True)


class TypedTool(Generic[A]):
    def __init__(
        self,
        name: str,
        description: str,
        arguments: type[A],
        handler: Callable[[A], Awaitable[ToolResult]],
    ) -> None:
        self._spec = ToolSpec(name, description, schema_of(arguments))
        self._arguments = arguments
        self._handler = handler

    @property
    def spec(self) -> ToolSpec:
        return self._spec

    async def run(self, arguments: str) -> ToolResult:
        try:
            raw = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return error_result(f"{self._spec.name}: arguments are not valid JSON ({exc.msg}).")
        if not isinstance(raw, dict):
            return error_result(f"{self._spec.name}: arguments must be a JSON object.")
        try:
            parsed = self._arguments.model_validate(raw)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                for e in exc.errors()
            )
            return error_result(f"{self._spec.name}: invalid arguments: {problems}")
        try:
            return await self._handler(parsed)
        except DeskError as exc:
            return error_result(f"{self._spec.name} failed: {exc.message}")
