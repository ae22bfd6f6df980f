"""The dashboard's HTTP backend against the real service (no browser): every call it makes."""

from __future__ import annotations

import pytest

from desk.dashboard.backend import DashboardError, HttpDashboardApi
from tests.e2e.stack import Service


def test_every_dashboard_call_works_against_the_service(service: Service) -> None:
    owner = HttpDashboardApi(service.url, service.tokens["owner"])
    agent = service.agent_id
    assert owner.me()["username"] == "owner"
    assert [a["id"] for a in owner.list_agents()] == [agent]
    assert owner.get_agent(agent)["versions"][0]["stage"] == "paper"
    assert owner.list_requests(kind="config_promotion", agent=agent)[0]["state"] == "approved"
    assert owner.kill_switch()["on"] is False
    assert owner.broker_credentials() == []
    assert owner.verify_audit()["ok"] is True
    assert owner.audit_events(5)
    assert owner.positions()["venue"] == "paper"
    assert isinstance(owner.orders(), list)
    quotes = owner.quotes(["NSE:INFY", "NSE:NOPE"])
    assert quotes["source"] == "paper" and quotes["missing"] == ["NSE:NOPE"]
    assert quotes["quotes"][0]["instrument"] == "NSE:INFY" and quotes["quotes"][0]["ltp"]
    run = owner.start_run(agent, None, "infosys_research")
    assert owner.get_run(agent, run["id"])["id"] == run["id"]
    assert "results" in owner.run_events(agent, run["id"])
    assert any(r["id"] == run["id"] for r in owner.list_runs(agent, {"order_by": "-created_at"}))
    with pytest.raises(DashboardError):
        owner.list_runs(agent, {"date_from": "yesterday"})  # a 422 becomes a message
    owner.pause_agent(agent, "checking")
    assert owner.resume_agent(agent)["status"] == "active"
    assert owner.set_agent_kill_switch(agent, False, None)["kill_switch"] is False


def test_decisions_are_attributed_and_refusals_are_readable(service: Service) -> None:
    request_id = service.propose("TCS")
    asha = HttpDashboardApi(service.url, service.tokens["asha"])
    zed = HttpDashboardApi(service.url, service.tokens["zed"])
    assert request_id in [r["id"] for r in asha.queue()]
    assert zed.queue() == [] and zed.list_requests() == []
    with pytest.raises(DashboardError, match="no approval request"):
        zed.decide(request_id, "approve", None)
    with pytest.raises(DashboardError) as caught:
        asha.decide(request_id, "reject", None)
    assert "reason" in caught.value.fields
    assert asha.decide(request_id, "approve", "fine")["outcome"] == "recorded"
    [decision] = asha.get_request(request_id)["decisions"]
    assert decision["channel"] == "dashboard" and decision["approver_id"] == asha.me()["id"]
    assert decision["username"] == "asha"
    with pytest.raises(DashboardError, match="invalid or expired"):
        HttpDashboardApi(service.url, "desk_not-a-token").me()
