"""Assemble one run's tools from what is configured, with notes for what is not."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from desk.adapters.research_tools.market import market_data_tools
from desk.adapters.research_tools.search import SEARCH_DISABLED_NOTE, google_search_tool
from desk.adapters.research_tools.webpage import open_webpage_tool
from desk.services.ports.market_data import MarketData
from desk.services.ports.research_tools import PageReader, ResearchTool, WebSearch

MARKET_DISABLED_NOTE = "Market-data tools are disabled for this run: no broker is connected."


@dataclass(frozen=True, slots=True)
class Toolset:
    tools: tuple[ResearchTool, ...]
    notes: tuple[str, ...]  # goes into ResearchRequest.notes so the model knows


def build_toolset(
    *,
    search: WebSearch | None,
    reader: PageReader | None,
    market: MarketData | None,
    allowed: Collection[str] | None = None,
) -> Toolset:
    """Every available tool, filtered by the agent config's ``allowed`` names (None = all)."""
    tools: list[ResearchTool] = []
    notes: list[str] = []
    if search is not None:
        tools.append(google_search_tool(search))
    else:
        notes.append(SEARCH_DISABLED_NOTE)
    if reader is not None:
        tools.append(open_webpage_tool(reader))
    if market is not None:
        tools.extend(market_data_tools(market))
    else:
        notes.append(MARKET_DISABLED_NOTE)
    if allowed is not None:
        tools = [t for t in tools if t.spec.name in allowed]
    return Toolset(tuple(tools), tuple(notes))
