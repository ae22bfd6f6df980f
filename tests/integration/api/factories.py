"""Objects for API tests, made through the real services (agents, runs, requests, proposals)."""

from __future__ import annotations

from typing import Any

from desk.bootstrap import Runtime
from desk.domain.users import Actor, Channel, User
from desk.services import agents, approvals, proposals, runs

CONFIG: dict[str, Any] = {
    "model": "fake/analyst-1",
    "system_prompt": "You are a careful research analyst. Cite what you read.",
    "universe": ["NSE:INFY", "NSE:TCS", "NSE:TATASTEEL"],
    "tools": ["google_search", "open_webpage", "get_ltp", "get_quote"],
    "quorum": 1,
    "approval_channels": ["dashboard", "api", "telegram"],
    "approval_timeout_minutes": 240,
    "max_steps": 8,
}
ORDER: dict[str, Any] = {
    "exchange": "NSE",
    "tradingsymbol": "INFY",
    "transaction_type": "BUY",
    "quantity": 1,
    "order_type": "MARKET",
    "product": "CNC",
    "rationale": "a test proposal",
}


def actor(user: User) -> Actor:
    return Actor.of(user, Channel.API)


def draft_agent(rt: Runtime, owner: User, approvers: list[User], name: str, **config: Any) -> str:
    detail = agents.create_agent(
        rt, actor(owner), name=name, config={**CONFIG, **config},
        approvers=[a.id for a in approvers],
    )  # fmt: skip
    return detail.agent.id


def promote(rt: Runtime, owner: User, approvers: list[User], agent_id: str, version: int) -> None:
    request = agents.request_promotion(rt, actor(owner), agent_id, version)
    for person in approvers:
        current = approvals.get_request(rt, actor(person), request.id).request
        if current.state.value == "pending":
            approvals.decide(rt, actor(person), request.id, "approve", "ok")


def paper_agent(
    rt: Runtime, owner: User, approvers: list[User], name: str, *, live: bool = False
) -> str:
    """An agent whose v1 is promoted to paper (and to live with ``live``: ``mode: live``)."""
    agent_id = draft_agent(rt, owner, approvers, name, **({"mode": "live"} if live else {}))
    promote(rt, owner, approvers, agent_id, 1)
    if live:
        promote(rt, owner, approvers, agent_id, 1)
    return agent_id


def pending_run(rt: Runtime, engine: Any, owner: User, agent_id: str) -> str:
    return runs.start_run(rt, engine, actor(owner), agent_id, query="what moved INFY today?").id


def proposal(rt: Runtime, market: Any, owner: User, agent_id: str) -> str:
    return proposals.submit_proposal(rt, market, actor(owner), agent_id, ORDER).proposal.id
