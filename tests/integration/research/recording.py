"""Record a scripted conversation against the local fakes (used by tests and to refresh the
shipped transcripts: ``uv run python -m tests.integration.research.recording``)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from desk.adapters.openrouter.client import OpenRouterClient
from desk.adapters.replay.recorder import Recorder
from desk.adapters.research_fakes.market import FakeMarketData
from desk.adapters.research_fakes.openrouter import FakeOpenRouter
from desk.adapters.research_fakes.search import FakeSearch
from desk.adapters.research_fakes.server import serve_in_thread
from desk.adapters.research_fakes.web import FakeWeb
from desk.adapters.research_tools.market import market_data_tools
from desk.adapters.research_tools.search import SerperSearch, google_search_tool
from desk.adapters.research_tools.webpage import open_webpage_tool
from desk.adapters.web.fetcher import SafeFetcher
from desk.demo_data import TRANSCRIPTS as DEMO_TRANSCRIPTS
from desk.domain.clock import FixedClock
from desk.domain.research import Budget, ResearchRequest, ResearchResult
from desk.domain.secret import Secret
from desk.services.research_loop import run_research
from desk.services.research_toolbox import LocalToolbox

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TRANSCRIPTS = DEMO_TRANSCRIPTS  # shipped with the package for the demo
FETCHED = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
PRICES = {"NSE:INFY": Decimal("1512.40"), "NSE:TATASTEEL": Decimal("141.20")}


async def record(
    convo: dict[str, Any], run_id: str, openrouter_url: str, search_url: str
) -> tuple[Recorder, ResearchResult]:
    request = ResearchRequest(
        run_id=run_id,
        model="fake/analyst-1",
        system_prompt="You are the Desk research analyst for Indian equities.",
        query=convo["query"],
        budget=Budget(max_steps=6, max_tokens=50_000, max_cost_usd=Decimal("0.50")),
        config_version=1,
    )
    recorder = Recorder(request)
    async with httpx.AsyncClient(base_url=openrouter_url) as or_http, httpx.AsyncClient() as http:
        llm = OpenRouterClient(Secret("sk-or-v1-fake"), http=or_http, app_title="Desk")
        fetcher = SafeFetcher(FixedClock(FETCHED), http=http, allow_private=True)
        tools = LocalToolbox(
            [
                google_search_tool(
                    SerperSearch(Secret("serper-fake-key"), http, base_url=search_url)
                ),
                open_webpage_tool(fetcher),
                *market_data_tools(FakeMarketData(PRICES)),
            ]
        )
        result = await run_research(
            request, recorder.llm(llm), recorder.toolbox(tools), on_event=recorder.events()
        )
    return recorder, result


def record_shipped() -> None:
    web = FakeWeb(FIXTURES / "web")
    with serve_in_thread(web.app) as web_url:
        for name in ("infosys_research", "parallel_reading"):
            convo = json.loads((FIXTURES / "research" / f"{name}.json").read_text())
            search = FakeSearch(convo["search_results"], variables={"WEB": web_url})
            fake = FakeOpenRouter(convo["script"], variables={"WEB": web_url})
            with serve_in_thread(search.app) as s_url, serve_in_thread(fake.app) as or_url:
                recorder, _ = asyncio.run(record(convo, f"demo-{name}", or_url + "/api/v1", s_url))
            recorder.save(TRANSCRIPTS / f"{name}.json")


if __name__ == "__main__":
    record_shipped()
