"""Market-data tools over the :class:`MarketData` port (quotes, LTP, OHLC, positions)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from desk.adapters.research_tools.typed import TypedTool
from desk.domain.research import ToolResult
from desk.services.ports.market_data import MarketData
from desk.services.ports.research_tools import ResearchTool


class InstrumentsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instruments: list[str] = Field(
        min_length=1,
        max_length=50,
        description='Instruments as "EXCHANGE:SYMBOL", e.g. "NSE:INFY".',
    )


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _json(value: Any) -> str:
    return json.dumps(value, default=lambda v: str(v) if isinstance(v, Decimal) else repr(v))


def _instrument_tool(
    name: str,
    description: str,
    fetch: Callable[[Sequence[str]], Awaitable[Mapping[str, Any]]],
) -> TypedTool[InstrumentsArgs]:
    async def handle(args: InstrumentsArgs) -> ToolResult:
        data = await fetch(args.instruments)
        return ToolResult(_json(dict(data)), f"{name} for {', '.join(args.instruments)}")

    return TypedTool(name, description, InstrumentsArgs, handle)


def market_data_tools(market: MarketData) -> list[ResearchTool]:
    async def positions(_: NoArgs) -> ToolResult:
        rows = list(await market.positions())
        return ToolResult(_json(rows), f"get_positions: {len(rows)} positions")

    return [
        _instrument_tool("get_ltp", "Last traded price of instruments.", market.ltp),
        _instrument_tool(
            "get_quote", "Full market quote (depth, volume, OHLC) of instruments.", market.quote
        ),
        _instrument_tool("get_ohlc", "Open/high/low/close of instruments today.", market.ohlc),
        TypedTool("get_positions", "The desk's current positions.", NoArgs, positions),
    ]
