"""Builders for the approval-rule tests (plain callables exposed as fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from desk.domain.agent_config import parse_agent_config
from desk.domain.agents import Agent, AgentConfig, AgentStatus
from desk.domain.approvals import ApprovalRequest, RequestKind, new_request
from desk.domain.users import Actor, Channel, Role
from desk.services.agent_config import validate_cron

T0 = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
TOOLS = ("web_search", "fetch_page", "quote", "history")
BASE: dict[str, Any] = {
    "model": "anthropic/claude-sonnet-4",
    "system_prompt": "You research Indian equities.",
    "universe": ["NSE:INFY", "NSE:TCS"],
}


def make_config(approvers: int = 3, **overrides: Any) -> AgentConfig:
    return parse_agent_config(
        {**BASE, **overrides},
        assigned_approvers=approvers,
        allowed_tools=TOOLS,
        cron_validator=validate_cron,
    )


def make_agent(**overrides: Any) -> Agent:
    agent = Agent(
        id="agent-1",
        name="momentum",
        owner_id="owner",
        approver_ids=("a1", "a2", "a3"),
        escalation_approver_ids=("e1",),
        status=AgentStatus.ACTIVE,
        pause_reason=None,
        kill_switch=False,
        created_at=T0,
    )
    return replace(agent, **overrides)


def make_actor(
    user_id: str | None, role: Role = Role.MEMBER, channel: Channel = Channel.API
) -> Actor:
    if user_id is None:
        return Actor.system()
    return Actor(user_id=user_id, role=role, channel=channel, label=user_id)


def make_request(
    agent: Agent | None = None,
    config: AgentConfig | None = None,
    *,
    kind: RequestKind = RequestKind.TRADE,
    proposer_id: str = "owner",
    admin_ids: tuple[str, ...] = ("admin",),
    now: datetime = T0,
) -> ApprovalRequest:
    return new_request(
        request_id="req-1",
        kind=kind,
        agent=agent or make_agent(),
        config=config or make_config(quorum=2),
        subject_id="proposal-1",
        proposer_id=proposer_id,
        admin_ids=admin_ids,
        global_kill_switch=False,
        now=now,
    )


@pytest.fixture
def config_of() -> Callable[..., AgentConfig]:
    return make_config


@pytest.fixture
def agent_of() -> Callable[..., Agent]:
    return make_agent


@pytest.fixture
def actor_of() -> Callable[..., Actor]:
    return make_actor


@pytest.fixture
def request_of() -> Callable[..., ApprovalRequest]:
    return make_request
