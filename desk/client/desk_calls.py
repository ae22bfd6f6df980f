"""Calls of the research and promotion routes (agents, runs, approvals, trading, Kite)."""

from __future__ import annotations

from typing import Any

import httpx

from desk.api.schemas.agents import AgentDetailOut, AgentOut, ConfigVersionOut, GlobalKillSwitchOut
from desk.api.schemas.approvals import DecideOut, RequestDetailOut, RequestOut
from desk.api.schemas.quotes import QuotesOut
from desk.api.schemas.runs import AnalyzeOut, RunEventPageOut, RunOut, RunStatusOut
from desk.api.schemas.trading import OrderOut, PositionsOut, ProposalOut
from desk.client.calls import API, Call, _drop_none, _listing, _model, _paging, _seg
from desk.client.listing import Listing

AGENTS = f"{API}/agents"
REQUESTS = f"{API}/approval-requests"


def _agent(agent_id: str, rest: str = "") -> str:
    return f"{AGENTS}/{_seg(agent_id)}/{rest}"


def _run(agent_id: str, run_id: str, rest: str = "") -> str:
    return _agent(agent_id, f"analysis-runs/{_seg(run_id)}/{rest}")


def _list_of_requests(response: httpx.Response) -> list[RequestOut]:
    return [RequestOut.model_validate(r) for r in response.json()]


# --- agents -----------------------------------------------------------------------------


def agents(page: int, page_size: int) -> Call[Listing[AgentOut]]:
    return Call("GET", f"{AGENTS}/", _listing(AgentOut), params=_paging(page, page_size))


def create_agent(
    name: str,
    *,
    config: dict[str, Any],
    approvers: list[str],
    escalation_approvers: list[str],
    owner: str | None,
    key: str | None,
) -> Call[AgentDetailOut]:
    body = _drop_none(
        {"name": name, "config": config, "approvers": approvers,
         "escalation_approvers": escalation_approvers, "owner": owner}
    )  # fmt: skip
    return Call(
        "POST", f"{AGENTS}/", _model(AgentDetailOut), body=body, idempotency_key=key, keyed=True
    )


def agent(agent_id: str) -> Call[AgentDetailOut]:
    return Call("GET", _agent(agent_id), _model(AgentDetailOut))


def add_version(agent_id: str, config: dict[str, Any]) -> Call[ConfigVersionOut]:
    return Call(
        "POST", _agent(agent_id, "versions/"), _model(ConfigVersionOut), body={"config": config},
        keyed=True,
    )  # fmt: skip


def promote(agent_id: str, version: int) -> Call[RequestOut]:
    return Call("POST", _agent(agent_id, f"versions/{int(version)}/promote/"), _model(RequestOut))


def demote(agent_id: str) -> Call[ConfigVersionOut]:
    return Call("POST", _agent(agent_id, "demote/"), _model(ConfigVersionOut))


def pause(agent_id: str, reason: str) -> Call[AgentOut]:
    return Call(
        "POST", _agent(agent_id, "pause/"), _model(AgentOut), body=_drop_none({"reason": reason})
    )


def resume(agent_id: str) -> Call[AgentOut]:
    return Call("POST", _agent(agent_id, "resume/"), _model(AgentOut))


def agent_kill_switch(agent_id: str, on: bool) -> Call[AgentOut]:
    return Call("PUT", _agent(agent_id, "kill-switch/"), _model(AgentOut), body={"on": on})


def kill_switch() -> Call[GlobalKillSwitchOut]:
    return Call("GET", f"{API}/kill-switch/", _model(GlobalKillSwitchOut))


def set_kill_switch(on: bool, reason: str | None) -> Call[GlobalKillSwitchOut]:
    body = _drop_none({"on": on, "reason": reason})
    return Call("PUT", f"{API}/kill-switch/", _model(GlobalKillSwitchOut), body=body)


# --- runs -------------------------------------------------------------------------------


def analyze(
    agent_id: str,
    *,
    query: str | None,
    replay: str | None,
    model: str | None,
    config_version: int | None,
    async_mode: bool | None,
    key: str | None,
) -> Call[AnalyzeOut]:
    body = _drop_none(
        {"query": query, "replay": replay, "model": model, "config_version": config_version,
         "async_mode": async_mode}
    )  # fmt: skip
    return Call(
        "POST", _agent(agent_id, "analyze/"), _model(AnalyzeOut), body=body,
        idempotency_key=key, keyed=True,
    )  # fmt: skip


def runs(
    agent_id: str, filters: dict[str, Any], page: int, page_size: int
) -> Call[Listing[RunOut]]:
    params = _paging(page, page_size, **filters)
    return Call("GET", _agent(agent_id, "analysis-runs/"), _listing(RunOut), params=params)


def run(agent_id: str, run_id: str) -> Call[RunOut]:
    return Call("GET", _run(agent_id, run_id), _model(RunOut))


def run_status(agent_id: str, run_id: str) -> Call[RunStatusOut]:
    return Call("GET", _run(agent_id, run_id, "status/"), _model(RunStatusOut))


def cancel_run(agent_id: str, run_id: str) -> Call[RunStatusOut]:
    return Call("POST", _run(agent_id, run_id, "cancel/"), _model(RunStatusOut))


def run_events(agent_id: str, run_id: str, after: int, limit: int) -> Call[RunEventPageOut]:
    params = {"after": after, "limit": limit}
    return Call("GET", _run(agent_id, run_id, "events/"), _model(RunEventPageOut), params=params)


def run_stream_path(agent_id: str, run_id: str) -> str:
    return _run(agent_id, run_id, "events/stream/")


# --- approvals --------------------------------------------------------------------------


def approvals(
    state: str | None, kind: str | None, agent: str | None, page: int, page_size: int
) -> Call[Listing[RequestOut]]:
    params = _paging(page, page_size, state=state, kind=kind, agent=agent)
    return Call("GET", f"{REQUESTS}/", _listing(RequestOut), params=params)


def queue(limit: int) -> Call[list[RequestOut]]:
    return Call("GET", f"{REQUESTS}/queue/", _list_of_requests, params={"limit": limit})


def approval(request_id: str) -> Call[RequestDetailOut]:
    return Call("GET", f"{REQUESTS}/{_seg(request_id)}/", _model(RequestDetailOut))


def decide(request_id: str, decision: str, reason: str | None, key: str | None) -> Call[DecideOut]:
    body = _drop_none({"decision": decision, "reason": reason})
    path = f"{REQUESTS}/{_seg(request_id)}/decide/"
    return Call("POST", path, _model(DecideOut), body=body, idempotency_key=key, keyed=True)


def cancel_request(request_id: str, reason: str | None) -> Call[RequestOut]:
    body = _drop_none({"reason": reason})
    return Call("POST", f"{REQUESTS}/{_seg(request_id)}/cancel/", _model(RequestOut), body=body)


def approval_stream_path() -> str:
    return f"{REQUESTS}/stream/"


# --- trading ----------------------------------------------------------------------------


def proposals(
    agent: str | None, status: str | None, run: str | None, page: int, page_size: int
) -> Call[Listing[ProposalOut]]:
    params = _paging(page, page_size, agent=agent, status=status, run=run)
    return Call("GET", f"{API}/proposals/", _listing(ProposalOut), params=params)


def submit_proposal(agent_id: str, order: dict[str, Any], key: str | None) -> Call[ProposalOut]:
    body = {**order, "agent_id": agent_id}
    return Call(
        "POST", f"{API}/proposals/", _model(ProposalOut), body=body, idempotency_key=key, keyed=True
    )


def proposal(proposal_id: str) -> Call[ProposalOut]:
    return Call("GET", f"{API}/proposals/{_seg(proposal_id)}/", _model(ProposalOut))


def orders(page: int, page_size: int) -> Call[Listing[OrderOut]]:
    return Call("GET", f"{API}/orders/", _listing(OrderOut), params=_paging(page, page_size))


def positions() -> Call[PositionsOut]:
    return Call("GET", f"{API}/positions/", _model(PositionsOut))


def quotes(instruments: list[str]) -> Call[QuotesOut]:
    params = {"instruments": ",".join(instruments)}
    return Call("GET", f"{API}/quotes/", _model(QuotesOut), params=params)
