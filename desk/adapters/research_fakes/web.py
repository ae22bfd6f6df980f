"""A local web site: fixture pages from directories plus hostile endpoints for the fetcher.

* ``/pages/<name>`` — files from ``pages_dir``; ``/saved/<name>`` — files from ``saved_dir``
  (both served as ``text/html; charset=utf-8``);
* ``/huge`` (endless chunks), ``/huge-declared`` (big Content-Length), ``/binary``, ``/pdf``,
  ``/loop`` (redirects to itself), ``/hop/<n>`` (n redirects then a page), ``/slow?delay=S``,
  ``/plain`` (text/plain), ``/empty`` (HTML with no article).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

HTML = "text/html; charset=utf-8"


class FakeWeb:
    def __init__(
        self, pages_dir: Path, saved_dir: Path | None = None, *, latency_s: float = 0.0
    ) -> None:
        self.pages_dir = pages_dir
        self.saved_dir = saved_dir
        self.latency_s = latency_s
        self.hits: list[str] = []
        self.app = Starlette(
            routes=[
                Route("/pages/{name}", self._page),
                Route("/saved/{name}", self._saved),
                Route("/huge", self._huge),
                Route("/huge-declared", self._huge_declared),
                Route("/binary", self._binary),
                Route("/pdf", self._pdf),
                Route("/loop", self._loop),
                Route("/hop/{n:int}", self._hop),
                Route("/slow", self._slow),
                Route("/plain", self._plain),
                Route("/empty", self._empty),
            ]
        )

    async def _file(self, directory: Path | None, name: str) -> Response:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        path = (directory / name) if directory is not None else None
        if path is None or "/" in name or name.startswith(".") or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        self.hits.append(name)
        return Response(path.read_bytes(), media_type=HTML)

    async def _page(self, request: Request) -> Response:
        return await self._file(self.pages_dir, request.path_params["name"])

    async def _saved(self, request: Request) -> Response:
        return await self._file(self.saved_dir, request.path_params["name"])

    async def _huge(self, request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            block = b"<p>" + b"x" * 65_530 + b"</p>"
            for _ in range(10_000):  # ~650 MB if nobody stops reading
                yield block

        return StreamingResponse(chunks(), media_type=HTML)

    async def _huge_declared(self, request: Request) -> Response:
        return _declared_big()

    async def _binary(self, request: Request) -> Response:
        return Response(bytes(range(256)) * 64, media_type="application/octet-stream")

    async def _pdf(self, request: Request) -> Response:
        return Response(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", media_type="application/pdf")

    async def _loop(self, request: Request) -> Response:
        return RedirectResponse("/loop", status_code=302)

    async def _hop(self, request: Request) -> Response:
        n = int(request.path_params["n"])
        if n <= 0:
            return RedirectResponse("/pages/infosys-contract.html", status_code=301)
        return RedirectResponse(f"/hop/{n - 1}", status_code=302)

    async def _slow(self, request: Request) -> Response:
        delay = float(request.query_params.get("delay", "5"))
        waited = 0.0
        while waited < delay:
            if await request.is_disconnected():
                return PlainTextResponse("gone", status_code=499)
            await asyncio.sleep(0.05)
            waited += 0.05
        return Response("<html><body><p>Finally.</p></body></html>", media_type=HTML)

    async def _plain(self, request: Request) -> Response:
        return PlainTextResponse("Plain text notice: NSE holiday on a fictional date.")

    async def _empty(self, request: Request) -> Response:
        return Response("<html><head><title>x</title></head><body></body></html>", media_type=HTML)


def _declared_big() -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield b"<html><body>"
        await asyncio.sleep(0)

    response = StreamingResponse(body(), media_type=HTML)
    response.headers["Content-Length"] = "999999999"
    return response
