"""An SSRF-resistant page reader: httpx under our own limits, then trafilatura.

Every URL comes from a language model, so it is treated as hostile: http(s) only, no userinfo,
standard ports, every resolved address (and the connected peer) must be globally routable, at
most ``max_redirects`` redirects each checked again, a body cap enforced while streaming, an
overall deadline, and an HTML/text content-type check. ``allow_private=True`` lifts the address
and port rules for tests against servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
import structlog

from desk.adapters.web.extract import extract_article, truncate_to_tokens
from desk.domain.clock import Clock
from desk.services.ports.research_tools import FetchError, WebPage

log = structlog.get_logger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")
USER_AGENT = "DeskResearchBot/0.1 (+https://github.com/desk; research fetcher)"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int = 3_000_000
    max_redirects: int = 5
    connect_timeout_s: float = 5.0
    deadline_s: float = 15.0
    max_text_tokens: int = 4000
    allowed_ports: frozenset[int] = frozenset({80, 443})


@dataclass(frozen=True, slots=True)
class _Body:
    final_url: str
    status: int
    content_type: str
    data: bytes


def _ip_is_public(raw: str) -> bool:
    address = ipaddress.ip_address(raw.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class SafeFetcher:
    """Implements :class:`desk.services.ports.research_tools.PageReader`."""

    def __init__(
        self,
        clock: Clock,
        *,
        http: httpx.AsyncClient | None = None,
        limits: FetchLimits | None = None,
        allow_private: bool = False,
    ) -> None:
        self._clock = clock
        self._limits = limits or FetchLimits()
        timeout = httpx.Timeout(self._limits.deadline_s, connect=self._limits.connect_timeout_s)
        self._http = http or httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )
        self._allow_private = allow_private

    async def aclose(self) -> None:
        await self._http.aclose()

    async def read(self, url: str) -> WebPage:
        try:
            async with asyncio.timeout(self._limits.deadline_s):
                body = await self._fetch(url)
        except TimeoutError:
            raise FetchError(
                f"Fetching {url} took longer than {self._limits.deadline_s:g} s."
            ) from None
        fetched_at = self._clock.now()
        digest = hashlib.sha256(body.data).hexdigest()
        if body.content_type in TEXT_TYPES:
            text, title, date, author, site = _decode(body.data), None, None, None, None
        else:
            article = await asyncio.to_thread(extract_article, body.data, body.final_url)
            if article is None:
                raise FetchError(f"No readable article text at {body.final_url}.")
            text, title, date = article.text, article.title, article.date
            author, site = article.author, article.sitename
        text, truncated = truncate_to_tokens(text, self._limits.max_text_tokens)
        log.info("page_fetched", url=body.final_url, status=body.status, bytes=len(body.data))
        return WebPage(
            url=url,
            final_url=body.final_url,
            status=body.status,
            content_type=body.content_type,
            text=text,
            truncated=truncated,
            content_sha256=digest,
            fetched_at=fetched_at,
            title=title,
            date=date,
            author=author,
            sitename=site,
        )

    async def _fetch(self, url: str) -> _Body:
        current = url
        for _ in range(self._limits.max_redirects + 1):
            await self.check_url(current)
            async with self._http.stream("GET", current, follow_redirects=False) as response:
                self._check_peer(response, current)
                if response.is_redirect and response.headers.get("Location"):
                    current = urljoin(current, response.headers["Location"])
                    continue
                if response.status_code >= 400:
                    raise FetchError(f"{current} answered HTTP {response.status_code}.")
                content_type = _content_type(response)
                if content_type not in HTML_TYPES | TEXT_TYPES:
                    raise FetchError(
                        f"{current} is {content_type or 'of unknown type'}, not an HTML page."
                    )
                data = await self._read_capped(response, current)
                return _Body(str(response.url), response.status_code, content_type, data)
        raise FetchError(f"{url} redirected more than {self._limits.max_redirects} times.")

    async def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        cap = self._limits.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(f"{url} is larger than the {cap // 1000} kB limit.")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():  # decoded bytes: caps gzip bombs too
            size += len(chunk)
            if size > cap:
                raise FetchError(f"{url} is larger than the {cap // 1000} kB limit.")
            chunks.append(chunk)
        return b"".join(chunks)

    async def check_url(self, url: str) -> None:
        """Raise :class:`FetchError` unless ``url`` is a fetchable public http(s) URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"Only http and https URLs can be opened, not {parts.scheme!r}.")
        if parts.username is not None or parts.password is not None:
            raise FetchError("URLs with credentials cannot be opened.")
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            raise FetchError(f"{url!r} has no host.")
        if self._allow_private:
            return
        try:
            port = parts.port
        except ValueError:
            raise FetchError(f"{url!r} has an invalid port.") from None
        if port is not None and port not in self._limits.allowed_ports:
            raise FetchError(f"Port {port} is not allowed.")
        if host == "localhost" or host.endswith(BLOCKED_SUFFIXES):
            raise FetchError(f"{host} is a private address and cannot be opened.")
        await self._check_resolved(host, port or (443 if parts.scheme == "https" else 80))

    async def _check_resolved(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            raise FetchError(f"{host} does not resolve.") from None
        for info in infos:
            if not _ip_is_public(str(info[4][0])):
                raise FetchError(f"{host} resolves to a private address and cannot be opened.")

    def _check_peer(self, response: httpx.Response, url: str) -> None:
        """Re-check the connected address (defeats DNS rebinding between check and connect)."""
        if self._allow_private:
            return
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if peer and not _ip_is_public(str(peer[0])):
            raise FetchError(f"{url} connected to a private address and was refused.")


def _content_type(response: httpx.Response) -> str:
    return str(response.headers.get("Content-Type", "")).split(";", 1)[0].strip().lower()


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
