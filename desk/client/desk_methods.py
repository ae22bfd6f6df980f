"""The research and promotion methods of :class:`~desk.client.Desk` (mixed in)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import httpx

from desk.api.schemas.agents import AgentDetailOut, AgentOut, ConfigVersionOut, GlobalKillSwitchOut
from desk.api.schemas.approvals import DecideOut, RequestDetailOut, RequestOut
from desk.api.schemas.quotes import QuotesOut
from desk.api.schemas.runs import AnalyzeOut, RunEventOut, RunEventPageOut, RunOut, RunStatusOut
from desk.api.schemas.trading import OrderOut, PositionsOut, ProposalOut
from desk.client import desk_calls as c
from desk.client.calls import Call
from desk.client.errors import connection_error, error_from_response
from desk.client.listing import Listing
from desk.client.sse import ServerEvent, parse

if TYPE_CHECKING:
    import polars as pl

T = TypeVar("T")


def run_filters(
    status: str | list[str] | None,
    q: str | None,
    date_from: str | None,
    date_to: str | None,
    order_by: str | None,
) -> dict[str, Any]:
    wanted = ",".join(status) if isinstance(status, list) else status
    values = {"status": wanted, "q": q, "date_from": date_from, "date_to": date_to,
              "order_by": order_by}  # fmt: skip
    return {k: v for k, v in values.items() if v is not None}


class DeskMethods:
    """Agents, runs, approvals, proposals, orders, positions and kill switches."""

    url: str
    _http: httpx.Client

    def _run(self, call: Call[T]) -> T:  # pragma: no cover - provided by Desk
        raise NotImplementedError

    # --- agents -------------------------------------------------------------------------

    def agents(self, *, page: int = 1, page_size: int = 20) -> Listing[AgentOut]:
        return self._run(c.agents(page, page_size))

    def create_agent(
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
        return self._run(call)

    def agent(self, agent_id: str) -> AgentDetailOut:
        return self._run(c.agent(agent_id))

    def add_config_version(self, agent_id: str, config: dict[str, Any]) -> ConfigVersionOut:
        return self._run(c.add_version(agent_id, config))

    def request_promotion(self, agent_id: str, version: int) -> RequestOut:
        return self._run(c.promote(agent_id, version))

    def demote(self, agent_id: str) -> ConfigVersionOut:
        return self._run(c.demote(agent_id))

    def pause_agent(self, agent_id: str, reason: str) -> AgentOut:
        return self._run(c.pause(agent_id, reason))

    def resume_agent(self, agent_id: str) -> AgentOut:
        return self._run(c.resume(agent_id))

    def set_agent_kill_switch(self, agent_id: str, on: bool) -> AgentOut:
        return self._run(c.agent_kill_switch(agent_id, on))

    def kill_switch(self) -> GlobalKillSwitchOut:
        return self._run(c.kill_switch())

    def set_kill_switch(self, on: bool, *, reason: str | None = None) -> GlobalKillSwitchOut:
        return self._run(c.set_kill_switch(on, reason))

    # --- runs ---------------------------------------------------------------------------

    def analyze(
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
        return self._run(call)

    @overload
    def runs(
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
    def runs(
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

    def runs(
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
        listing = self._run(c.runs(agent_id, filters, page, page_size))
        return listing.frame() if as_frame else listing

    def run(self, agent_id: str, run_id: str) -> RunOut:
        return self._run(c.run(agent_id, run_id))

    def run_status(self, agent_id: str, run_id: str) -> RunStatusOut:
        return self._run(c.run_status(agent_id, run_id))

    def cancel_run(self, agent_id: str, run_id: str) -> RunStatusOut:
        return self._run(c.cancel_run(agent_id, run_id))

    def run_events(
        self, agent_id: str, run_id: str, *, after: int = 0, limit: int = 100
    ) -> RunEventPageOut:
        return self._run(c.run_events(agent_id, run_id, after, limit))

    def stream_run_events(
        self, agent_id: str, run_id: str, *, last_event_id: int | None = None
    ) -> Iterator[RunEventOut]:
        """Past events, then live ones, until the run ends (Server-Sent Events)."""
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        for event in self._stream(c.run_stream_path(agent_id, run_id), headers, {}):
            if event.event == "end":
                return
            if event.event == "run_event":
                yield RunEventOut.model_validate_json(event.data)

    def stream_approvals(self, *, max_seconds: float | None = None) -> Iterator[ServerEvent]:
        """Approval notices for requests you may see (``ready`` first, then one per notice)."""
        params = {"max_seconds": max_seconds} if max_seconds is not None else {}
        yield from self._stream(c.approval_stream_path(), {}, params)

    def _stream(
        self, path: str, headers: dict[str, str], params: dict[str, Any]
    ) -> Iterator[ServerEvent]:
        headers = {**headers, "Accept": "text/event-stream"}
        try:
            with self._http.stream(
                "GET", path, headers=headers, params=params, timeout=httpx.Timeout(30, read=None)
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response)
                yield from parse(response.iter_lines())
        except httpx.TransportError as exc:
            raise connection_error(exc, self.url) from exc

    # --- approvals ----------------------------------------------------------------------

    def approvals(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        agent: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Listing[RequestOut]:
        return self._run(c.approvals(state, kind, agent, page, page_size))

    def queue(self, *, limit: int = 50) -> list[RequestOut]:
        """What you may decide now, oldest first."""
        return self._run(c.queue(limit))

    def approval(self, request_id: str) -> RequestDetailOut:
        return self._run(c.approval(request_id))

    def decide(
        self,
        request_id: str,
        decision: Literal["approve", "reject"],
        reason: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> DecideOut:
        return self._run(c.decide(request_id, decision, reason, idempotency_key))

    def cancel_request(self, request_id: str, *, reason: str | None = None) -> RequestOut:
        return self._run(c.cancel_request(request_id, reason))

    # --- trading ------------------------------------------------------------------------

    def proposals(
        self,
        *,
        agent: str | None = None,
        status: str | None = None,
        run: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Listing[ProposalOut]:
        return self._run(c.proposals(agent, status, run, page, page_size))

    def submit_proposal(
        self, agent_id: str, *, idempotency_key: str | None = None, **order: Any
    ) -> ProposalOut:
        """``submit_proposal(agent_id, exchange="NSE", tradingsymbol="INFY", …)``."""
        return self._run(c.submit_proposal(agent_id, order, idempotency_key))

    def proposal(self, proposal_id: str) -> ProposalOut:
        return self._run(c.proposal(proposal_id))

    def orders(self, *, page: int = 1, page_size: int = 20) -> Listing[OrderOut]:
        return self._run(c.orders(page, page_size))

    def positions(self) -> PositionsOut:
        return self._run(c.positions())

    def quotes(self, instruments: list[str]) -> QuotesOut:
        """Last prices (``["NSE:INFY", …]``): your Kite session's quotes, else the paper
        venue's; instruments without a price are in ``missing``."""
        return self._run(c.quotes(instruments))
