"""Fake Serper (``POST /search``) and Google CSE (``GET /customsearch/v1``) on one app."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from desk.adapters.research_fakes.openrouter import substitute


class FakeSearch:
    """``results`` maps a lowercase keyword to hits; a query gets the hits of every keyword in it.

    Hits are ``{"title", "link", "snippet"}``; ``$NAME`` placeholders come from ``variables``.
    """

    def __init__(
        self,
        results: Mapping[str, Sequence[Mapping[str, Any]]],
        *,
        serper_key: str = "serper-fake-key",
        cse_key: str = "cse-fake-key",
        cse_engine_id: str = "cse-fake-engine",
        variables: Mapping[str, str] | None = None,
        serper_status: int = 200,
        latency_s: float = 0.0,
    ) -> None:
        self.results = {k.lower(): list(v) for k, v in results.items()}
        self.serper_key = serper_key
        self.cse_key = cse_key
        self.cse_engine_id = cse_engine_id
        self.variables = dict(variables or {})
        self.serper_status = serper_status
        self.latency_s = latency_s
        self.queries: list[tuple[str, str]] = []
        self.app = Starlette(
            routes=[
                Route("/search", self._serper, methods=["POST"]),
                Route("/customsearch/v1", self._cse, methods=["GET"]),
            ]
        )

    def _hits(self, query: str, num: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for keyword, hits in self.results.items():
            if keyword in query.lower():
                found.extend(substitute(dict(h), self.variables) for h in hits)
        return found[:num]

    async def _serper(self, request: Request) -> JSONResponse:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if request.headers.get("x-api-key") != self.serper_key:
            return JSONResponse({"message": "Unauthorized.", "statusCode": 403}, status_code=403)
        if self.serper_status != 200:
            body = {"message": "scripted failure", "statusCode": self.serper_status}
            return JSONResponse(body, status_code=self.serper_status)
        body = await request.json()
        query, num = str(body.get("q", "")), int(body.get("num", 10))
        self.queries.append(("serper", query))
        organic = [
            {**hit, "position": index + 1} for index, hit in enumerate(self._hits(query, num))
        ]
        params = {"q": query, "gl": body.get("gl"), "hl": body.get("hl"), "num": num}
        return JSONResponse(
            {
                "searchParameters": {**params, "type": "search", "engine": "google"},
                "organic": organic,
                "credits": 1,
            }
        )

    async def _cse(self, request: Request) -> JSONResponse:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        params = request.query_params
        if params.get("key") != self.cse_key or params.get("cx") != self.cse_engine_id:
            error = {"code": 403, "message": "API key not valid.", "status": "PERMISSION_DENIED"}
            return JSONResponse({"error": error}, status_code=403)
        num = int(params.get("num", "10"))
        if not 1 <= num <= 10:
            error = {"code": 400, "message": "Invalid value for num", "status": "INVALID_ARGUMENT"}
            return JSONResponse({"error": error}, status_code=400)
        query = params.get("q", "")
        self.queries.append(("cse", query))
        hits = self._hits(query, num)
        body: dict[str, Any] = {
            "kind": "customsearch#search",
            "searchInformation": {"totalResults": str(len(hits))},
        }
        if hits:  # like Google, "items" is absent when nothing matched
            body["items"] = [{"kind": "customsearch#result", **hit} for hit in hits]
        return JSONResponse(body)
