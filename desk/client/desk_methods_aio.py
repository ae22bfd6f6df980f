"""The research and promotion methods of :class:`~desk.client.AsyncDesk` (mixed in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import httpx

from desk.api.schemas.agents import AgentDetailOut, AgentOut, ConfigVersionOut, GlobalKillSwitchOut
from desk.api.schemas.approvals import DecideOut, RequestDetailOut, RequestOut
from desk.api.schemas.quotes import QuotesOut
from desk.api.schemas.runs import AnalyzeOut, RunEventOut, RunEventPageOut, RunOut, RunStatusOut
from desk.api.schemas.trading import OrderOut, PositionsOut, ProposalOut
from desk.client import desk_calls as c
from desk.client.calls import Call
from desk.client.desk_methods import run_filters
from desk.client.errors import connection_error, error_from_response
from desk.client.listing import Listing
from desk.client.sse import ServerEvent, aparse

if TYPE_CHECKING:
    import polars as pl

T = TypeVar("T")


class AsyncDeskMethods:
    """The awaited twins of :class:`~desk.client.desk_methods.DeskMethods`."""

    url: str
    _http: httpx.AsyncClient

    async def _run(self, call: Call[T]) -> T:  # pragma: no cover - provided by AsyncDesk
        raise NotImplementedError

    # --- agents -------------------------------------------------------------------------

    async def agents(self, *, page: int = 1, page_size: int = 20) -> Listing[AgentOut]:
        return await self._run(c.agents(page, page_size))

    async def create_agent(
        self,
        name: str,
        config: dict[str, Any],
        *,
        approvers: list[str] | None = None,
        escalation_approvers: list[str] | None = None,
        owner: str | None = None,
        idempotency_key: str | None = None,
    ) -> AgentDetailOut:
        call = c.create_agent(
            name, config=config, approvers=approvers or [],
            escalation_approvers=escalation_approvers or [], owner=owner, key=idempotency_key,
        )  # fmt: skip
        return await self._run(call)

    async def agent(self, agent_id: str) -> AgentDetailOut:
        return await self._run(c.agent(agent_id))

    async def add_config_version(self, agent_id: str, config: dict[str, Any]) -> ConfigVersionOut:
        return await self._run(c.add_version(agent_id, config))

    async def request_promotion(self, agent_id: str, version: int) -> RequestOut:
        return await self._run(c.promote(agent_id, version))

    async def demote(self, agent_id: str) -> ConfigVersionOut:
        return await self._run(c.demote(agent_id))

    async def pause_agent(self, agent_id: str, reason: str) -> AgentOut:
        return await self._run(c.pause(agent_id, reason))

    async def resume_agent(self, agent_id: str) -> AgentOut:
        return await self._run(c.resume(agent_id))

    async def set_agent_kill_switch(self, agent_id: str, on: bool) -> AgentOut:
        return await self._run(c.agent_kill_switch(agent_id, on))

    async def kill_switch(self) -> GlobalKillSwitchOut:
        return await self._run(c.kill_switch())

    async def set_kill_switch(self, on: bool, *, reason: str | None = None) -> GlobalKillSwitchOut:
        return await self._run(c.set_kill_switch(on, reason))

    # --- runs ---------------------------------------------------------------------------

    async def analyze(
        self,
        agent_id: str,
        query: str | None = None,
        *,
        replay: str | None = None,
        model: str | None = None,
        config_version: int | None = None,
        async_mode: bool | None = None,
        idempotency_key: str | None = None,
    ) -> AnalyzeOut:
        """Start a run; ``async_mode=False`` waits for the finished run."""
        call = c.analyze(
            agent_id, query=query, replay=replay, model=model, config_version=config_version,
            async_mode=async_mode, key=idempotency_key,
        )  # fmt: skip
        return await self._run(call)

    @overload
    async def runs(
        self,
        agent_id: str,
        *,
        as_frame: Literal[False] = False,
        status: str | list[str] | None = None,
        q: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        order_by: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Listing[RunOut]: ...

    @overload
    async def runs(
        self,
        agent_id: str,
        *,
        as_frame: Literal[True],
        status: str | list[str] | None = None,
        q: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        order_by: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> pl.DataFrame: ...

    async def runs(
        self,
        agent_id: str,
        *,
        as_frame: bool = False,
        status: str | list[str] | None = None,
        q: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        order_by: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Listing[RunOut] | pl.DataFrame:
        """Run history (``status`` may be a list); ``as_frame=True`` gives a polars frame."""
        filters = run_filters(status, q, date_from, date_to, order_by)
        listing = await self._run(c.runs(agent_id, filters, page, page_size))
        return listing.frame() if as_frame else listing

    async def run(self, agent_id: str, run_id: str) -> RunOut:
        return await self._run(c.run(agent_id, run_id))

    async def run_status(self, agent_id: str, run_id: str) -> RunStatusOut:
        return await self._run(c.run_status(agent_id, run_id))

    async def cancel_run(self, agent_id: str, run_id: str) -> RunStatusOut:
        return await self._run(c.cancel_run(agent_id, run_id))

    async def run_events(
        self, agent_id: str, run_id: str, *, after: int = 0, limit: int = 100
    ) -> RunEventPageOut:
        return await self._run(c.run_events(agent_id, run_id, after, limit))

    async def stream_run_events(
        self, agent_id: str, run_id: str, *, last_event_id: int | None = None
    ) -> AsyncIterator[RunEventOut]:
        """Past events, then live ones, until the run ends (Server-Sent Events)."""
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        async for event in self._stream(c.run_stream_path(agent_id, run_id), headers, {}):
            if event.event == "end":
                return
            if event.event == "run_event":
                yield RunEventOut.model_validate_json(event.data)

    async def stream_approvals(
        self, *, max_seconds: float | None = None
    ) -> AsyncIterator[ServerEvent]:
        params = {"max_seconds": max_seconds} if max_seconds is not None else {}
        async for event in self._stream(c.approval_stream_path(), {}, params):
            yield event

    async def _stream(
        self, path: str, headers: dict[str, str], params: dict[str, Any]
    ) -> AsyncIterator[ServerEvent]:
        headers = {**headers, "Accept": "text/event-stream"}
        try:
            async with self._http.stream(
                "GET", path, headers=headers, params=params, timeout=httpx.Timeout(30, read=None)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response)
                async for event in aparse(response.aiter_lines()):
                    yield event
        except httpx.TransportError as exc:
            raise connection_error(exc, self.url) from exc

    # --- approvals ----------------------------------------------------------------------

    async def approvals(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        agent: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Listing[RequestOut]:
        return await self._run(c.approvals(state, kind, agent, page, page_size))

    async def queue(self, *, limit: int = 50) -> list[RequestOut]:
        """What you may decide now, oldest first."""
        return await self._run(c.queue(limit))

    async def approval(self, request_id: str) -> RequestDetailOut:
        return await self._run(c.approval(request_id))

    async def decide(
        self,
        request_id: str,
        decision: Literal["approve", "reject"],
        reason: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> DecideOut:
        return await self._run(c.decide(request_id, decision, reason, idempotency_key))

    async def cancel_request(self, request_id: str, *, reason: str | None = None) -> RequestOut:
        return await self._run(c.cancel_request(request_id, reason))

    # --- trading ------------------------------------------------------------------------

    async def proposals(
        self,
        *,
        agent: str | None = None,
        status: str | None = None,
        run: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Listing[ProposalOut]:
        return await self._run(c.proposals(agent, status, run, page, page_size))

    async def submit_proposal(
        self, agent_id: str, *, idempotency_key: str | None = None, **order: Any
    ) -> ProposalOut:
        """``submit_proposal(agent_id, exchange="NSE", tradingsymbol="INFY", …)``."""
        return await self._run(c.submit_proposal(agent_id, order, idempotency_key))

    async def proposal(self, proposal_id: str) -> ProposalOut:
        return await self._run(c.proposal(proposal_id))

    async def orders(self, *, page: int = 1, page_size: int = 20) -> Listing[OrderOut]:
        return await self._run(c.orders(page, page_size))

    async def positions(self) -> PositionsOut:
        return await self._run(c.positions())

    async def quotes(self, instruments: list[str]) -> QuotesOut:
        """Last prices (``["NSE:INFY", …]``): your Kite session's quotes, else the paper
        venue's; instruments without a price are in ``missing``."""
        return await self._run(c.quotes(instruments))
