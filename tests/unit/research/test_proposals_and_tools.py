"""Answer parsing, tool schemas from typed signatures, and fetcher URL rules."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from desk.adapters.research_fakes.market import FakeMarketData
from desk.adapters.research_tools.market import market_data_tools
from desk.adapters.research_tools.search import SearchArgs, google_search_tool
from desk.adapters.research_tools.toolset import build_toolset
from desk.adapters.research_tools.webpage import open_webpage_tool
from desk.adapters.web.extract import truncate_to_tokens
from desk.adapters.web.fetcher import SafeFetcher
from desk.domain.clock import FixedClock
from desk.domain.research import OpenedPage
from desk.services.ports.research_tools import FetchError, SearchHit, WebPage
from desk.services.research_loop import PollingCancel
from desk.services.research_proposals import cite, parse_answer

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def test_answer_without_block_is_report_only() -> None:
    parsed = parse_answer("  Just a report.  ")
    assert parsed.report == "Just a report." and parsed.proposals == () and parsed.problem is None


def test_answer_block_is_removed_from_report_and_prices_stay_decimal() -> None:
    block = {
        "proposals": [
            {
                "instrument": "NSE:INFY",
                "side": "SELL",
                "quantity": 3,
                "order_type": "LIMIT",
                "price": 1412.35,
                "rationale": "r",
                "evidence": ["https://a.example/x"],
            }
        ]
    }
    parsed = parse_answer(f"Intro.\n```json\n{json.dumps(block)}\n```\nOutro.")
    assert parsed.problem is None and parsed.report == "Intro.\n\nOutro."
    assert parsed.proposals[0].price == Decimal("1412.35") and parsed.proposals[0].product == "CNC"


@pytest.mark.parametrize(
    ("proposal", "needle"),
    [
        ({"instrument": "INFY"}, "instrument"),
        ({"side": "HOLD"}, "side"),
        ({"quantity": "10"}, "quantity"),
        ({"evidence": []}, "evidence"),
        ({"price": "12.345"}, "price"),
        ({"order_type": "SL-M"}, "trigger_price"),
        ({"leverage": 10}, "leverage"),
    ],
)
def test_bad_proposals_are_explained(proposal: dict[str, object], needle: str) -> None:
    base = {
        "instrument": "NSE:INFY",
        "side": "BUY",
        "quantity": 1,
        "order_type": "LIMIT",
        "price": "10",
        "rationale": "r",
        "evidence": ["https://a.example"],
    }
    block = json.dumps({"proposals": [{**base, **proposal}]})
    parsed = parse_answer(f"R\n```json\n{block}\n```")
    assert parsed.proposals == () and parsed.problem is not None and needle in parsed.problem


def test_citations_match_requested_or_final_urls() -> None:
    page = OpenedPage("https://a.example/x", "https://a.example/x/", "f" * 64, NOW)
    opened = {page.url: page, page.final_url: page}
    assert cite("https://a.example/x/", opened).content_sha256 == "f" * 64
    assert cite("https://a.example/y", opened).opened is False


def test_tool_schemas_come_from_typed_arguments() -> None:
    class NoSearch:
        provider = "none"

        async def search(self, query: str, num: int = 10) -> list[SearchHit]:
            return []

    spec = google_search_tool(NoSearch()).spec
    assert spec.name == "google_search"
    assert spec.parameters["required"] == ["query"]
    assert spec.parameters["properties"]["num"]["maximum"] == 10
    expected = SearchArgs.model_json_schema()
    expected.pop("title")
    assert spec.parameters == expected and spec.parameters["additionalProperties"] is False
    tools = market_data_tools(FakeMarketData({}))
    assert [t.spec.name for t in tools] == ["get_ltp", "get_quote", "get_ohlc", "get_positions"]
    assert tools[3].spec.parameters["properties"] == {}


async def test_market_tools_return_decimal_strings() -> None:
    ltp = market_data_tools(FakeMarketData({"NSE:INFY": Decimal("1512.40")}))[0]
    result = await ltp.run(json.dumps({"instruments": ["NSE:INFY", "NSE:NOPE"]}))
    assert json.loads(result.content) == {"NSE:INFY": "1512.40"} and not result.is_error


async def test_open_webpage_tool_reports_fetch_errors_to_the_model() -> None:
    class Refusing:
        async def read(self, url: str) -> WebPage:
            raise FetchError(f"{url} is refused.")

    result = await open_webpage_tool(Refusing()).run(json.dumps({"url": "http://10.0.0.1/"}))
    assert result.is_error and "refused" in json.loads(result.content)["error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/admin",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://100.64.0.1/",
        "http://metadata.internal/",
        "file:///etc/passwd",
        "ftp://example.com/",
        "http://user:pw@example.com/",
        "http://example.com:8080/",
        "http:///nohost",
    ],
)
async def test_hostile_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchError):
        await SafeFetcher(FixedClock(NOW)).check_url(url)


async def test_public_literal_address_passes() -> None:
    await SafeFetcher(FixedClock(NOW)).check_url("https://93.184.215.14/page")


def test_truncation_cuts_at_a_word_boundary() -> None:
    text, cut = truncate_to_tokens("word " * 100, max_tokens=10)
    assert cut and len(text) <= 40 and not text.endswith(" ")
    assert truncate_to_tokens("short", 10) == ("short", False)


def test_toolset_says_which_tools_are_disabled() -> None:
    bare = build_toolset(search=None, reader=None, market=None)
    assert bare.tools == () and any("google_search is disabled" in n for n in bare.notes)
    full = build_toolset(
        search=None, reader=None, market=FakeMarketData({}), allowed={"get_ltp", "get_quote"}
    )
    assert [t.spec.name for t in full.tools] == ["get_ltp", "get_quote"]


async def test_polling_cancel_wraps_a_plain_callable() -> None:
    flag = {"set": False}
    cancel = PollingCancel(lambda: flag["set"], interval_s=0.01)
    assert not cancel.is_set()
    asyncio.get_running_loop().call_later(0.05, flag.update, {"set": True})
    assert await asyncio.wait_for(cancel.wait(), 1) is True
