"""The set of tools one research run may use, dispatching the model's calls by name."""

from __future__ import annotations

import json
from collections.abc import Sequence

import structlog

from desk.domain.research import ToolCall, ToolResult, ToolSpec
from desk.services.ports.research_tools import ResearchTool

log = structlog.get_logger(__name__)


class LocalToolbox:
    """Implements :class:`desk.services.ports.research_tools.Toolbox` over in-process tools."""

    def __init__(self, tools: Sequence[ResearchTool]) -> None:
        self._tools = {tool.spec.name: tool for tool in tools}
        if len(self._tools) != len(tools):
            raise ValueError("tool names must be unique")

    @property
    def specs(self) -> Sequence[ToolSpec]:
        return [tool.spec for tool in self._tools.values()]

    async def invoke(self, call: ToolCall) -> ToolResult:
        tool = self._tools.get(call.name)
        if tool is None:
            available = ", ".join(sorted(self._tools)) or "none"
            message = f"Unknown tool {call.name!r}; available tools: {available}."
            return ToolResult(json.dumps({"error": message}), message, is_error=True)
        try:
            return await tool.run(call.arguments)
        except Exception as exc:  # a tool bug must not kill the run; the model sees an error
            log.exception("tool_crashed", tool=call.name)
            message = f"{call.name} failed unexpectedly ({type(exc).__name__})."
            return ToolResult(json.dumps({"error": message}), message, is_error=True)
