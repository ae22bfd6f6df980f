"""Integration fixtures: a small desk (owner, approvers, an outsider, an admin), helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from desk.bootstrap import Runtime
from desk.domain.approval_model import ApprovalRequest
from desk.domain.users import Actor, Channel
from desk.services import agents, approvals, users
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import atomically

ROOT = Actor.system(channel=Channel.CLI, label="cli")


@dataclass
class People:
    admin: Actor
    owner: Actor
    a1: Actor
    a2: Actor
    a3: Actor
    outsider: Actor
    escalator: Actor


def config(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "model": "openai/gpt-4o-mini",
        "system_prompt": "You research Indian equities.",
        "universe": ["NSE:INFY", "NSE:TCS"],
        "tools": ["google_search", "open_webpage", "get_ltp"],
        "quorum": 2,
        "approval_timeout_minutes": 30,
    }
    base.update(overrides)
    return base


@pytest.fixture
def people(runtime: Runtime) -> People:
    def make(name: str, role: str = "member") -> Actor:
        return Actor.of(users.create_user(runtime, ROOT, name, role=role), Channel.API)

    return People(
        admin=make("root", "admin"), owner=make("olga"), a1=make("asha"), a2=make("vikram"),
        a3=make("meera"), outsider=make("zed"), escalator=make("esha"),
    )  # fmt: skip


def make_agent(rt: Runtime, p: People, **overrides: Any) -> str:
    detail = agents.create_agent(
        rt, p.owner, name=overrides.pop("name", "infy-watch"), config=config(**overrides),
        approvers=[p.a1.user_id or "", p.a2.user_id or "", p.a3.user_id or ""],
        escalation_approvers=[p.escalator.user_id or ""],
    )  # fmt: skip
    return detail.agent.id


def promote_to_paper(rt: Runtime, p: People, agent_id: str, version: int = 1) -> None:
    request = agents.request_promotion(rt, p.owner, agent_id, version)
    approvals.decide(rt, p.a1, request.id, "approve")
    approvals.decide(rt, p.a2, request.id, "approve")


def open_trade(
    rt: Runtime, p: People, agent_id: str, subject: str = "proposal-1"
) -> ApprovalRequest:
    def work(uow: UnitOfWork) -> ApprovalRequest:
        return approvals.open_trade_request(
            rt, uow, agent_id=agent_id, subject_id=subject, proposer_id=p.owner.user_id or "",
            details={"instrument": "NSE:INFY", "side": "BUY", "quantity": 10},
        )  # fmt: skip

    return atomically(rt, work)


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``check`` until it holds (work done by background threads), or fail."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
