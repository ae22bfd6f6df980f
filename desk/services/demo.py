"""Seeding the demo desk: an owner, two approvers, an agent with quorum 2, a replayed run.

Used by ``desk demo``, ``desk up --demo``, the notebooks and their tests, so everything a
newcomer sees comes from the same real service calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.domain.runs import AnalysisRun
from desk.domain.users import Actor, Channel
from desk.services import agents, approvals, runs, users, vault
from desk.services.ports.context import Context
from desk.services.ports.research_engine import ResearchEngine
from desk.services.proposals import load_instruments

SYSTEM = Actor.system(channel=Channel.CLI, label="demo")
DEMO_REPLAY = "infosys_research"
DEMO_CONFIG = {
    "model": "fake/analyst-1",
    "system_prompt": "You are the Desk research analyst for Indian equities. Cite what you read.",
    "universe": ["NSE:INFY", "NSE:TCS", "NSE:TATASTEEL"],
    "tools": ["google_search", "open_webpage", "get_ltp", "get_quote"],
    "quorum": 2,
    "approval_timeout_minutes": 240,
    "timeout_policy": "auto_reject",
    "approval_channels": ["dashboard", "api", "telegram"],
    "max_steps": 8,
    "mode": "paper",
}


@dataclass(frozen=True, slots=True)
class DemoSeed:
    owner: Actor
    approvers: tuple[Actor, Actor]
    tokens: dict[str, str]  # username -> API token (shown to the person running the demo)
    agent_id: str
    run: AnalysisRun


def seed_demo(
    ctx: Context,
    engine: ResearchEngine,
    *,
    replay: str = DEMO_REPLAY,
    instruments_csv: str | None = None,
    proposals: runs.ProposalSink | None = None,
) -> DemoSeed:
    """Users, tokens, the agent promoted to paper by two approvals, and one replayed run whose
    proposals go to ``proposals`` (risk → approval requests) when given."""
    owner_user = users.create_user(ctx, SYSTEM, "owner", role="admin", display_name="Desk Owner")
    approver_users = [
        users.create_user(ctx, SYSTEM, name, display_name=display)
        for name, display in (("asha", "Asha Rao"), ("vikram", "Vikram Iyer"))
    ]
    if instruments_csv is not None:
        load_instruments(ctx, SYSTEM, instruments_csv)
    tokens = {
        u.username: users.create_token(ctx, SYSTEM, u.id, name="demo").plaintext
        for u in (owner_user, *approver_users)
    }
    owner = Actor.of(owner_user, Channel.API)
    asha, vikram = (Actor.of(u, Channel.API) for u in approver_users)
    vault.add_llm_credential(ctx, owner, api_key="sk-or-demo-not-a-real-key-000", label="demo")
    detail = agents.create_agent(
        ctx,
        owner,
        name="infy-watch",
        config=DEMO_CONFIG,
        approvers=[asha.user_id or "", vikram.user_id or ""],
    )
    agent_id = detail.agent.id
    promotion = agents.request_promotion(ctx, owner, agent_id, 1)
    approvals.decide(ctx, asha, promotion.id, "approve", "demo config reviewed")
    approvals.decide(ctx, vikram, promotion.id, "approve", "ok for paper")
    run = runs.start_run(ctx, engine, owner, agent_id, replay=replay)
    done = runs.execute_run_blocking(ctx, engine, run.id, proposals=proposals)
    return DemoSeed(owner, (asha, vikram), tokens, agent_id, done)
