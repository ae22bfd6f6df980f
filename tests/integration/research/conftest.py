"""Local fake servers (OpenRouter, Serper/CSE, a web site) on 127.0.0.1:0, and the real stack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from desk.adapters.openrouter.client import OpenRouterClient
from desk.adapters.research_fakes.market import FakeMarketData
from desk.adapters.research_fakes.openrouter import FakeOpenRouter
from desk.adapters.research_fakes.search import FakeSearch
from desk.adapters.research_fakes.server import serve_in_thread
from desk.adapters.research_fakes.web import FakeWeb
from desk.adapters.research_tools.market import market_data_tools
from desk.adapters.research_tools.search import build_web_search, google_search_tool
from desk.adapters.research_tools.webpage import open_webpage_tool
from desk.adapters.web.extract import extract_article
from desk.adapters.web.fetcher import FetchLimits, SafeFetcher
from desk.domain.clock import FixedClock
from desk.domain.research import Budget, ResearchRequest
from desk.domain.secret import Secret
from desk.services.ports.research_tools import ResearchTool
from desk.services.research_toolbox import LocalToolbox

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
WEB_FIXTURES = FIXTURES / "web"
CONVERSATIONS = FIXTURES / "research"
SAVED_PAGES = REPO / ".." / "shared" / "webpages"
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
OR_KEY = "sk-or-v1-integration-key"
PRICES = {"NSE:INFY": Decimal("1512.40"), "NSE:TATASTEEL": Decimal("141.20")}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def conversation(name: str) -> dict[str, Any]:
    return json.loads((CONVERSATIONS / name).read_text())


@dataclass
class Servers:
    web: FakeWeb
    web_url: str
    search: FakeSearch
    search_url: str


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    extract_article(b"<html><body><p>Warm up trafilatura's lazy imports.</p></body></html>")
    saved = SAVED_PAGES.resolve() if SAVED_PAGES.is_dir() else None
    web = FakeWeb(WEB_FIXTURES, saved)
    with ExitStack() as stack:
        web_url = stack.enter_context(serve_in_thread(web.app))
        results = conversation("infosys_research.json")["search_results"]
        search = FakeSearch(results, variables={"WEB": web_url})
        search_url = stack.enter_context(serve_in_thread(search.app))
        yield Servers(web, web_url, search, search_url)


@pytest.fixture
def openrouter(servers: Servers) -> Iterator[Callable[..., tuple[FakeOpenRouter, str]]]:
    """Start a fake OpenRouter following ``script``; returns (fake, base_url)."""
    with ExitStack() as stack:

        def start(script: list[Mapping[str, Any]], **kwargs: Any) -> tuple[FakeOpenRouter, str]:
            kwargs.setdefault("api_key", OR_KEY)
            fake = FakeOpenRouter(script, variables={"WEB": servers.web_url}, **kwargs)
            return fake, stack.enter_context(serve_in_thread(fake.app)) + "/api/v1"

        yield start


@dataclass
class Stack:
    llm: OpenRouterClient
    toolbox: LocalToolbox
    fetcher: SafeFetcher


@pytest.fixture
async def stack_factory(servers: Servers) -> AsyncIterator[Callable[..., Stack]]:
    clients: list[httpx.AsyncClient] = []

    def build(
        openrouter_url: str, *, limits: FetchLimits | None = None, stream: bool = False
    ) -> Stack:
        http = httpx.AsyncClient(base_url=openrouter_url, timeout=10)
        search_http = httpx.AsyncClient(timeout=10)
        fetch_http = httpx.AsyncClient(timeout=httpx.Timeout(10, connect=2))
        clients.extend([http, search_http, fetch_http])
        llm = OpenRouterClient(
            Secret(OR_KEY),
            http=http,
            referer="https://desk.test",
            app_title="Desk tests",
            backoff_base_s=0.01,
            stream=stream,
        )
        search = build_web_search(
            search_http,
            serper_key=Secret("serper-fake-key"),
            cse_key=Secret("cse-fake-key"),
            cse_engine_id="cse-fake-engine",
            serper_base_url=servers.search_url,
            cse_base_url=servers.search_url + "/customsearch/v1",
        )
        assert search is not None
        fetcher = SafeFetcher(FixedClock(NOW), http=fetch_http, limits=limits, allow_private=True)
        tools: list[ResearchTool] = [
            google_search_tool(search),
            open_webpage_tool(fetcher),
            *market_data_tools(FakeMarketData(PRICES)),
        ]
        return Stack(llm, LocalToolbox(tools), fetcher)

    yield build
    for client in clients:
        await client.aclose()


def research_request(query: str, max_steps: int = 6, **budget: Any) -> ResearchRequest:
    return ResearchRequest(
        run_id="run-int-1",
        model="fake/analyst-1",
        system_prompt="You are the Desk research analyst. Use tools, cite what you open.",
        query=query,
        budget=Budget(max_steps=max_steps, **budget),
        config_version=1,
    )


class Events:
    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        self.items.append((kind, payload))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [p for k, p in self.items if k == kind]
