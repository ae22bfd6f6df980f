"""Which venue executes a request: paper, or the owner's Kite session with one order budget
per Kite account (shared by every request and every access token of that account)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.adapters.kite.rate_limit import OrderRateLimits
from desk.adapters.store.per_call import execution_repository
from desk.adapters.trading_venue import VenueSelector
from desk.bootstrap import Runtime
from desk.domain.errors import ConflictError
from desk.services import agents, approvals, vault
from tests.integration.conftest import People, config, make_agent, open_trade, promote_to_paper


@pytest.fixture
def store_url(duckdb_url: str) -> str:  # adapter wiring: one back-end is enough
    return duckdb_url


def live_agent(rt: Runtime, people: People) -> str:
    agent_id = make_agent(rt, people)
    promote_to_paper(rt, people, agent_id)
    v2 = agents.add_config_version(rt, people.owner, agent_id, config(mode="live"))
    promote_to_paper(rt, people, agent_id, v2.version)
    request = agents.request_promotion(rt, people.owner, agent_id, v2.version)
    approvals.decide(rt, people.a1, request.id, "approve")
    approvals.decide(rt, people.a2, request.id, "approve")
    return agent_id


def login(rt: Runtime, people: People, credential_id: str, token: str) -> None:
    vault.store_access_token(
        rt, people.owner, credential_id, access_token=token,
        expires_at=rt.clock.now() + timedelta(hours=8), broker_user_id="AB1234",
    )  # fmt: skip


def selector(rt: Runtime, paper: object = "paper-venue") -> VenueSelector:
    return VenueSelector(
        rt, paper, execution_repository(rt.db), kite_root="http://127.0.0.1:9",  # type: ignore[arg-type]
        rate_limits=OrderRateLimits(per_second=3, per_minute=50, per_day=400),
        market_protection=5,
    )  # fmt: skip


def test_paper_agents_trade_on_paper(runtime: Runtime, people: People) -> None:
    agent_id = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent_id)
    assert selector(runtime)(open_trade(runtime, people, agent_id).id) == "paper-venue"


def test_live_requests_share_one_kite_client_and_one_order_budget(
    runtime: Runtime, people: People
) -> None:
    agent_id = live_agent(runtime, people)
    pick = selector(runtime)
    first, second = (
        open_trade(runtime, people, agent_id, "p-1"),
        open_trade(runtime, people, agent_id, "p-2"),
    )
    with pytest.raises(ConflictError, match="desk kite login"):
        pick(first.id)
    cred = vault.add_broker_credential(
        runtime, people.owner, api_key="kiteapikey01", api_secret="kitesecret0123"
    ).id
    login(runtime, people, cred, "a" * 32)
    one, two = pick(first.id), pick(second.id)
    assert one.live and one is two  # same session: the same client, executor and budget
    limiter = one.broker.order_limiter  # type: ignore[attr-defined]
    assert limiter.limits == OrderRateLimits(per_second=3, per_minute=50, per_day=400)
    assert one.broker._market_protection == 5  # type: ignore[attr-defined]
    login(runtime, people, cred, "b" * 32)  # the next day's session
    three = pick(first.id)
    assert three is not one and three.live
    assert three.broker.order_limiter is limiter  # type: ignore[attr-defined]  # same account
