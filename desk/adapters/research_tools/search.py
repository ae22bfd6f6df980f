"""Web search: Serper (primary) and Google Custom Search (legacy fallback), and the tool."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field

from desk.adapters.research_tools.typed import TypedTool
from desk.domain.research import ToolResult
from desk.domain.secret import Secret
from desk.services.ports.research_tools import SearchError, SearchHit, WebSearch

log = structlog.get_logger(__name__)

SERPER_BASE_URL = "https://google.serper.dev"
CSE_BASE_URL = "https://www.googleapis.com/customsearch/v1"


def _body_excerpt(response: httpx.Response) -> str:
    return response.text[:200].replace("\n", " ")


class SerperSearch:
    provider = "serper"

    def __init__(
        self,
        api_key: Secret,
        http: httpx.AsyncClient,
        *,
        base_url: str = SERPER_BASE_URL,
        country: str = "in",
        language: str = "en",
    ) -> None:
        self._key = api_key
        self._http = http
        self._url = base_url.rstrip("/") + "/search"
        self._gl = country
        self._hl = language

    async def search(self, query: str, num: int = 10) -> Sequence[SearchHit]:
        body = {"q": query, "num": num, "gl": self._gl, "hl": self._hl}
        try:
            response = await self._http.post(
                self._url, json=body, headers={"X-API-KEY": self._key.reveal()}
            )
        except httpx.HTTPError as exc:
            raise SearchError(f"Serper unreachable: {type(exc).__name__}.") from None
        if response.status_code != 200:
            log.warning("serper_failed", status=response.status_code, body=_body_excerpt(response))
            raise SearchError(f"Serper search failed with HTTP {response.status_code}.")
        payload: Mapping[str, Any] = response.json()
        return [
            SearchHit(
                title=str(item.get("title") or ""),
                link=str(item.get("link") or ""),
                snippet=str(item.get("snippet") or ""),
                date=item.get("date"),
            )
            for item in payload.get("organic") or ()
            if item.get("link")
        ][:num]


class GoogleCseSearch:
    """Google Custom Search JSON API (closed to new customers; shuts down 2027-01-01)."""

    provider = "google_cse"

    def __init__(
        self,
        api_key: Secret,
        engine_id: str,
        http: httpx.AsyncClient,
        *,
        base_url: str = CSE_BASE_URL,
    ) -> None:
        self._key = api_key
        self._cx = engine_id
        self._http = http
        self._url = base_url

    async def search(self, query: str, num: int = 10) -> Sequence[SearchHit]:
        params: dict[str, str | int] = {
            "key": self._key.reveal(),
            "cx": self._cx,
            "q": query,
            "num": min(num, 10),
        }
        try:
            response = await self._http.get(self._url, params=params)
        except httpx.HTTPError as exc:  # the message would carry the key in the URL
            raise SearchError(f"Google CSE unreachable: {type(exc).__name__}.") from None
        if response.status_code != 200:
            log.warning("cse_failed", status=response.status_code, body=_body_excerpt(response))
            raise SearchError(f"Google CSE search failed with HTTP {response.status_code}.")
        payload: Mapping[str, Any] = response.json()
        return [
            SearchHit(
                title=str(item.get("title") or ""),
                link=str(item.get("link") or ""),
                snippet=str(item.get("snippet") or ""),
            )
            for item in payload.get("items") or ()  # "items" is absent when nothing matched
            if item.get("link")
        ]


class FallbackSearch:
    """Try each provider in order; the first that answers wins."""

    def __init__(self, providers: Sequence[WebSearch]) -> None:
        if not providers:
            raise ValueError("FallbackSearch needs at least one provider")
        self._providers = list(providers)

    @property
    def provider(self) -> str:
        return "+".join(p.provider for p in self._providers)

    async def search(self, query: str, num: int = 10) -> Sequence[SearchHit]:
        failures: list[str] = []
        for provider in self._providers:
            try:
                return await provider.search(query, num)
            except SearchError as exc:
                failures.append(exc.message)
        raise SearchError("All search providers failed: " + " ".join(failures))


def build_web_search(
    http: httpx.AsyncClient,
    *,
    serper_key: Secret | None,
    cse_key: Secret | None = None,
    cse_engine_id: str | None = None,
    serper_base_url: str = SERPER_BASE_URL,
    cse_base_url: str = CSE_BASE_URL,
) -> WebSearch | None:
    """Serper when its key is set, then CSE when both its settings are; None disables search."""
    providers: list[WebSearch] = []
    if serper_key is not None and serper_key.reveal():
        providers.append(SerperSearch(serper_key, http, base_url=serper_base_url))
    if cse_key is not None and cse_key.reveal() and cse_engine_id:
        providers.append(GoogleCseSearch(cse_key, cse_engine_id, http, base_url=cse_base_url))
    return FallbackSearch(providers) if providers else None


SEARCH_DISABLED_NOTE = (
    "google_search is disabled for this run: set SERPER_API_KEY (or GOOGLE_CSE_API_KEY and "
    "GOOGLE_CSE_ENGINE_ID)."
)


class SearchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=300, description="The search query.")
    num: int = Field(default=5, ge=1, le=10, description="How many results (1-10).")


def google_search_tool(search: WebSearch) -> TypedTool[SearchArgs]:
    async def handle(args: SearchArgs) -> ToolResult:
        hits = await search.search(args.query, args.num)
        rows = [
            {"title": h.title, "link": h.link, "snippet": h.snippet, "date": h.date} for h in hits
        ]
        return ToolResult(
            json.dumps({"query": args.query, "results": rows}),
            f"{len(rows)} results for {args.query!r} via {search.provider}",
        )

    return TypedTool(
        "google_search",
        "Search the web (Google results). Returns titles, links and snippets; open a link with "
        "open_webpage before citing it.",
        SearchArgs,
        handle,
    )
