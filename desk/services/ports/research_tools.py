"""The tool port of the research loop, plus the web search and page-reading ports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from desk.domain.errors import DeskError
from desk.domain.research import ToolCall, ToolResult, ToolSpec


class ResearchTool(Protocol):
    @property
    def spec(self) -> ToolSpec: ...

    async def run(self, arguments: str) -> ToolResult:
        """Run with the model's raw JSON arguments. Bad arguments give an error result."""
        ...


class Toolbox(Protocol):
    """What the loop calls: the tool specs offered to the model and one call at a time."""

    @property
    def specs(self) -> Sequence[ToolSpec]: ...

    async def invoke(self, call: ToolCall) -> ToolResult:
        """Never raises for bad input: unknown tools and bad arguments give error results."""
        ...


class SearchError(DeskError):
    code = "search_failed"
    http_status = 502


class FetchError(DeskError):
    """The page could not be fetched or was refused (size, type, address, redirects)."""

    code = "fetch_failed"
    http_status = 502


@dataclass(frozen=True, slots=True)
class SearchHit:
    title: str
    link: str
    snippet: str
    date: str | None = None


class WebSearch(Protocol):
    @property
    def provider(self) -> str: ...

    async def search(self, query: str, num: int = 10) -> Sequence[SearchHit]: ...


@dataclass(frozen=True, slots=True)
class WebPage:
    url: str
    final_url: str
    status: int
    content_type: str
    text: str
    truncated: bool
    content_sha256: str
    fetched_at: datetime
    title: str | None = None
    date: str | None = None
    author: str | None = None
    sitename: str | None = None


class PageReader(Protocol):
    async def read(self, url: str) -> WebPage:
        """Fetch and extract; raises :class:`FetchError` when refused or failed."""
        ...
