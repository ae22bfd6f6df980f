"""Idempotency-Key on the creating POSTs, on DuckDB and Postgres.

The same key with the same body answers with what the first request created and changes
nothing more; the same key with another body is a 409 naming the header; keys are per user.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.api import factories
from tests.integration.api.conftest import Api, assert_error
from tests.integration.api.helpers import load_demo_instruments

AGENTS = "/api/v1/agents/"


def _twice(api: Api, who: str, path: str, body: dict[str, Any], key: str) -> httpx.Response:
    """POST twice with one key; both answers must carry the same resource."""
    first = api.post(who, path, json=body, headers={"Idempotency-Key": key})
    assert first.status_code in (200, 201, 202), first.text
    again = api.post(who, path, json=body, headers={"Idempotency-Key": key})
    assert again.status_code == first.status_code, again.text
    assert again.json()["id"] == first.json()["id"]
    return first


def _reused(api: Api, who: str, path: str, body: dict[str, Any], key: str) -> None:
    response = api.post(who, path, json=body, headers={"Idempotency-Key": key})
    assert assert_error(response, 409)["fields"] == {"Idempotency-Key": "reused"}


def _count(api: Api, who: str, path: str) -> int:
    return int(api.get(who, path).json()["count"])


def test_creates_replay_by_key_without_a_second_effect(api_both: Api) -> None:
    api = api_both
    approvers = [api.users["approver"].id]
    body = {"name": "idem-agent", "config": factories.CONFIG, "approvers": approvers}
    agent = _twice(api, "owner", AGENTS, body, "k-agent").json()
    assert _count(api, "owner", AGENTS) == 1
    assert api.audit_actions().count("agent.created") == 1
    _reused(api, "owner", AGENTS, {**body, "name": "other-agent"}, "k-agent")
    assert _count(api, "owner", AGENTS) == 1

    versions = f"{AGENTS}{agent['id']}/versions/"
    config = {"config": {**factories.CONFIG, "max_steps": 4}}
    first = api.post("owner", versions, json=config, headers={"Idempotency-Key": "k-version"})
    again = api.post("owner", versions, json=config, headers={"Idempotency-Key": "k-version"})
    assert first.status_code == again.status_code == 201
    assert first.json()["version"] == again.json()["version"] == 2
    assert len(api.get("owner", f"{AGENTS}{agent['id']}/").json()["versions"]) == 2

    token = _twice(api, "owner", "/api/v1/tokens/", {"name": "laptop"}, "k-token")
    replayed = api.post("owner", "/api/v1/tokens/", json={"name": "laptop"},
                        headers={"Idempotency-Key": "k-token"})  # fmt: skip
    assert replayed.json()["token"] == token.json()["token"]  # the one plaintext, again
    me = api.client.get("/api/v1/me/", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.status_code == 200
    assert _count(api, "owner", "/api/v1/tokens/") == 2  # the fixture's and this one
    _reused(api, "owner", "/api/v1/tokens/", {"name": "phone"}, "k-token")
    # keys are per user: the same key and body from someone else is their own request
    theirs = api.post("member", "/api/v1/tokens/", json={"name": "laptop"},
                      headers={"Idempotency-Key": "k-token"})  # fmt: skip
    assert theirs.status_code == 201 and theirs.json()["id"] != token.json()["id"]

    _twice(api, "admin", "/api/v1/users/", {"username": "idem_user"}, "k-user")
    assert api.audit_actions().count("user.created") == 5  # four personas and this one

    broker = {"api_key": "kiteapikey123", "api_secret": "kitesecret123456", "label": "k"}
    _twice(api, "owner", "/api/v1/broker-credentials/", broker, "k-broker")
    assert _count(api, "owner", "/api/v1/broker-credentials/") == 1
    _reused(api, "owner", "/api/v1/broker-credentials/", {**broker, "api_secret": "x" * 16},
            "k-broker")  # fmt: skip
    llm = {"api_key": "sk-or-v1-idempotent", "label": "main"}
    _twice(api, "owner", "/api/v1/llm-credentials/", llm, "k-llm")
    assert _count(api, "owner", "/api/v1/llm-credentials/") == 1
    # one key, another operation: a conflict too
    _reused(api, "owner", "/api/v1/llm-credentials/", llm, "k-broker")


def test_analyze_and_proposals_replay_by_key(api_both: Api) -> None:
    api = api_both
    owner, approver = api.users["owner"], api.users["approver"]
    agent_id = factories.paper_agent(api.rt, owner, [approver], "idem-runner")
    analyze = f"{AGENTS}{agent_id}/analyze/"
    body = {"replay": "infosys_research", "async_mode": False}
    run = _twice(api, "owner", analyze, body, "k-run")
    assert run.status_code == 200 and run.json()["status"] == "completed"
    assert _count(api, "owner", f"{AGENTS}{agent_id}/analysis-runs/") == 1
    _reused(api, "owner", analyze, {**body, "async_mode": True}, "k-run")
    assert _count(api, "owner", f"{AGENTS}{agent_id}/analysis-runs/") == 1

    load_demo_instruments(api)
    order = {**factories.ORDER, "agent_id": agent_id}
    trade_requests = "/api/v1/approval-requests/?kind=trade"
    before = _count(api, "owner", "/api/v1/proposals/"), _count(api, "owner", trade_requests)
    proposal = _twice(api, "owner", "/api/v1/proposals/", order, "k-proposal").json()
    assert proposal["request_id"]
    after = _count(api, "owner", "/api/v1/proposals/"), _count(api, "owner", trade_requests)
    assert after == (before[0] + 1, before[1] + 1)
    _reused(api, "owner", "/api/v1/proposals/", {**order, "quantity": 2}, "k-proposal")
