"""google_search over HTTP against the fake Serper and Google CSE."""

from __future__ import annotations

import json

import httpx
import pytest

from desk.adapters.research_fakes.search import FakeSearch
from desk.adapters.research_fakes.server import serve_in_thread
from desk.adapters.research_tools.search import (
    GoogleCseSearch,
    SerperSearch,
    build_web_search,
    google_search_tool,
)
from desk.domain.secret import Secret
from desk.services.ports.research_tools import SearchError

from .conftest import Servers

pytestmark = pytest.mark.anyio


async def test_serper_is_primary(servers: Servers) -> None:
    async with httpx.AsyncClient() as http:
        search = build_web_search(
            http,
            serper_key=Secret("serper-fake-key"),
            cse_key=Secret("cse-fake-key"),
            cse_engine_id="cse-fake-engine",
            serper_base_url=servers.search_url,
            cse_base_url=servers.search_url + "/customsearch/v1",
        )
        assert search is not None and search.provider == "serper+google_cse"
        result = await google_search_tool(search).run(
            json.dumps({"query": "Infosys deal", "num": 1})
        )
    body = json.loads(result.content)
    assert [r["link"] for r in body["results"]] == [
        f"{servers.web_url}/pages/infosys-contract.html"
    ]
    assert body["results"][0]["date"] == "2 days ago"
    assert result.summary == "1 results for 'Infosys deal' via serper+google_cse"
    assert servers.search.queries[-1] == ("serper", "Infosys deal")


async def test_cse_is_the_fallback_when_serper_fails(servers: Servers) -> None:
    failing = FakeSearch({}, serper_status=500)
    with serve_in_thread(failing.app) as bad_url:
        async with httpx.AsyncClient() as http:
            search = build_web_search(
                http,
                serper_key=Secret("serper-fake-key"),
                cse_key=Secret("cse-fake-key"),
                cse_engine_id="cse-fake-engine",
                serper_base_url=bad_url,
                cse_base_url=servers.search_url + "/customsearch/v1",
            )
            assert search is not None
            hits = await search.search("infosys", 10)
    assert len(hits) == 2 and servers.search.queries[-1] == ("cse", "infosys")


async def test_cse_without_matches_has_no_items(servers: Servers) -> None:
    async with httpx.AsyncClient() as http:
        cse = GoogleCseSearch(
            Secret("cse-fake-key"),
            "cse-fake-engine",
            http,
            base_url=servers.search_url + "/customsearch/v1",
        )
        assert await cse.search("nothing matches this", 5) == []


async def test_bad_keys_fail_without_leaking_them(servers: Servers) -> None:
    async with httpx.AsyncClient() as http:
        serper = SerperSearch(Secret("wrong-serper-key"), http, base_url=servers.search_url)
        with pytest.raises(SearchError, match="403") as serper_error:
            await serper.search("infosys")
        cse = GoogleCseSearch(
            Secret("wrong-cse-key"),
            "cse-fake-engine",
            http,
            base_url=servers.search_url + "/customsearch/v1",
        )
        with pytest.raises(SearchError, match="403") as cse_error:
            await cse.search("infosys")
        tool = google_search_tool(serper)
        result = await tool.run(json.dumps({"query": "infosys"}))
    assert "wrong-serper-key" not in str(serper_error.value)
    assert "wrong-cse-key" not in str(cse_error.value)
    assert result.is_error and "403" in json.loads(result.content)["error"]


async def test_no_keys_disable_search() -> None:
    async with httpx.AsyncClient() as http:
        assert build_web_search(http, serper_key=None) is None
        assert build_web_search(http, serper_key=Secret(""), cse_key=Secret("k")) is None
