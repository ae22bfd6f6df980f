"""Benchmark: research-loop wall time vs the fakes' injected latency on the critical path.

Run: ``uv run python tests/bench/bench_research_loop.py`` (not collected by pytest). Each model
call waits ``MODEL_S`` in the fake OpenRouter, each search ``SEARCH_S`` and each page ``PAGE_S``;
tool calls in one step run concurrently, so the critical path is the model delays plus the
slowest tool of each step. Prints the ratio (goal <= 1.10x) and the main thread's CPU share
(Desk's loop, httpx, JSON; extraction runs in worker threads and is reported separately).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desk.adapters.openrouter.client import OpenRouterClient  # noqa: E402
from desk.adapters.research_fakes.market import FakeMarketData  # noqa: E402
from desk.adapters.research_fakes.openrouter import FakeOpenRouter  # noqa: E402
from desk.adapters.research_fakes.search import FakeSearch  # noqa: E402
from desk.adapters.research_fakes.server import serve_in_thread  # noqa: E402
from desk.adapters.research_fakes.web import FakeWeb  # noqa: E402
from desk.adapters.research_tools.market import market_data_tools  # noqa: E402
from desk.adapters.research_tools.search import SerperSearch, google_search_tool  # noqa: E402
from desk.adapters.research_tools.webpage import open_webpage_tool  # noqa: E402
from desk.adapters.system import SystemClock  # noqa: E402
from desk.adapters.web import extract  # noqa: E402
from desk.adapters.web.fetcher import SafeFetcher  # noqa: E402
from desk.domain.research import Budget, ResearchRequest  # noqa: E402
from desk.domain.secret import Secret  # noqa: E402
from desk.services.research_loop import run_research  # noqa: E402
from desk.services.research_toolbox import LocalToolbox  # noqa: E402

MODEL_S, SEARCH_S, PAGE_S = 0.20, 0.12, 0.10
ITERATIONS = 5
CONVERSATIONS = ROOT / "tests" / "fixtures" / "research"


def critical_path(script: list[dict[str, Any]]) -> float:
    total = 0.0
    for entry in script:
        total += MODEL_S
        names = [c["name"] for c in entry.get("tool_calls") or ()]
        lat = [
            SEARCH_S if n == "google_search" else PAGE_S if n == "open_webpage" else 0.0
            for n in names
        ]
        total += max(lat, default=0.0)
    return total


async def one_run(convo: dict[str, Any], or_url: str, search_url: str) -> tuple[float, float]:
    request = ResearchRequest("bench", "fake/analyst-1", "Analyst.", convo["query"], Budget(8))
    async with httpx.AsyncClient(base_url=or_url) as or_http, httpx.AsyncClient() as http:
        llm = OpenRouterClient(Secret("sk-or-v1-fake"), http=or_http)
        tools = LocalToolbox(
            [
                google_search_tool(
                    SerperSearch(Secret("serper-fake-key"), http, base_url=search_url)
                ),
                open_webpage_tool(SafeFetcher(SystemClock(), http=http, allow_private=True)),
                *market_data_tools(FakeMarketData({})),
            ]
        )
        cpu, wall = time.thread_time(), time.perf_counter()
        result = await run_research(request, llm, tools)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    assert result.stop_reason.value == "answered", result
    return wall, cpu


def main() -> None:
    extract.extract_article(b"<html><body><p>warm up the extractor once.</p></body></html>")
    web = FakeWeb(ROOT / "tests" / "fixtures" / "web", latency_s=PAGE_S)
    with serve_in_thread(web.app) as web_url:
        for name in ("infosys_research", "parallel_reading"):
            convo = json.loads((CONVERSATIONS / f"{name}.json").read_text())
            script = [{**e, "delay_s": MODEL_S} for e in convo["script"]]
            search = FakeSearch(
                convo["search_results"], variables={"WEB": web_url}, latency_s=SEARCH_S
            )
            walls, cpus = [], []
            with serve_in_thread(search.app) as s_url:
                for _ in range(ITERATIONS):
                    fake = FakeOpenRouter(script, variables={"WEB": web_url})
                    with serve_in_thread(fake.app) as or_url:
                        wall, cpu = asyncio.run(one_run(convo, or_url + "/api/v1", s_url))
                    walls.append(wall)
                    cpus.append(cpu)
            crit = critical_path(convo["script"])
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            print(
                f"{name}: wall {wall:.3f}s | injected latency on critical path {crit:.3f}s | "
                f"ratio {wall / crit:.3f}x (goal <= 1.10x) | main-thread CPU {cpu:.3f}s "
                f"= {100 * cpu / wall:.1f}% of wall | overhead {wall - crit:.3f}s"
            )
    t = time.perf_counter()
    for page in sorted((ROOT / "tests" / "fixtures" / "web").glob("*.html")):
        extract.extract_article(page.read_bytes())
    print(
        f"extraction of the 3 fixture pages (worker thread in runs): {time.perf_counter() - t:.3f}s"
    )


if __name__ == "__main__":
    main()
