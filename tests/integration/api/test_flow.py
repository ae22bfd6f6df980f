"""The whole desk over HTTP: agent → promotion by two approvers → replayed run → proposal →
queue → two approvals → paper order executed → audit verified."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import Api, assert_error
from tests.integration.api.factories import CONFIG
from tests.integration.api.helpers import add_person, load_demo_instruments, poll

AGENTS = "/api/v1/agents/"
REQUESTS = "/api/v1/approval-requests/"


def _decide(api: Api, who: str, request_id: str, reason: str, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    response = api.post(
        who, f"{REQUESTS}{request_id}/decide/",
        json={"decision": "approve", "reason": reason}, headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def test_research_to_executed_order_over_http(api: Api) -> None:
    load_demo_instruments(api)
    asha, vikram = add_person(api, "asha"), add_person(api, "vikram")
    body = {"name": "infy-watch", "config": {**CONFIG, "quorum": 2}, "approvers": [asha, vikram]}
    created = api.post("owner", AGENTS, json=body)
    assert created.status_code == 201, created.text
    agent = created.json()
    assert agent["versions"][0]["stage"] == "draft" and agent["active_version"] is None
    agent_id = agent["id"]

    promotion = api.post("owner", f"{AGENTS}{agent_id}/versions/1/promote/")
    assert promotion.status_code == 201, promotion.text
    request_id = promotion.json()["id"]
    assert [r["id"] for r in api.get("asha", f"{REQUESTS}queue/").json()] == [request_id]
    first = _decide(api, "asha", request_id, "config reviewed", key="asha-promo-1")
    assert first["outcome"] == "recorded" and first["request"]["approvals"] == 1
    replay = _decide(api, "asha", request_id, "config reviewed", key="asha-promo-1")
    assert replay["replayed"] is True and replay["outcome"] == "recorded"
    assert _decide(api, "vikram", request_id, "ok for paper")["outcome"] == "approved"
    assert api.get("owner", f"{AGENTS}{agent_id}/").json()["active_version"] == 1

    started = api.post("owner", f"{AGENTS}{agent_id}/analyze/", json={"replay": "infosys_research"})
    assert started.status_code == 202, started.text
    status_url = started.json()["status_url"]
    assert status_url.endswith(f"/analysis-runs/{started.json()['id']}/status/")
    run = poll(lambda: api.get("owner", status_url).json(), lambda s: s["is_terminal"])
    assert run["status"] == "completed", run
    events = api.get("asha", status_url.replace("/status/", "/events/")).json()
    assert [e["seq"] for e in events["results"]] == list(range(1, run["event_count"] + 1))

    # the run is completed first; its proposals go through risk right after
    found = poll(
        lambda: api.get("owner", "/api/v1/proposals/", params={"run": run["id"]}).json(),
        lambda page: page["count"] > 0,
    )
    submitted = [p for p in found["results"] if p["status"] == "submitted"]
    assert submitted, found
    trade_id = submitted[0]["request_id"]
    queue = api.get("asha", f"{REQUESTS}queue/").json()
    assert trade_id in [r["id"] for r in queue]
    detail = api.get("asha", f"{REQUESTS}{trade_id}/").json()
    assert detail["kind"] == "trade" and detail["risk"] and detail["order"] is None
    assert detail["summary"]["instrument"] == submitted[0]["instrument"]

    _decide(api, "asha", trade_id, "evidence checks out")
    assert _decide(api, "vikram", trade_id, "size is fine")["outcome"] == "approved"
    done = poll(
        lambda: api.get("owner", f"{REQUESTS}{trade_id}/").json(),
        lambda d: d["state"] in ("executed", "failed"),
    )
    assert done["state"] == "executed", done
    assert done["order"]["state"] == "final" and done["order"]["broker_status"] == "COMPLETE"

    orders = api.get("owner", "/api/v1/orders/").json()
    assert trade_id in [o["request_id"] for o in orders["results"]]
    assert api.get("member", "/api/v1/orders/").json()["count"] == 0  # not theirs to see
    positions = api.get("owner", "/api/v1/positions/").json()
    assert submitted[0]["instrument"] in [p["instrument"] for p in positions["net"]]

    verified = api.post("admin", "/api/v1/audit/verify/").json()
    assert verified["ok"] is True, verified
    actions = api.audit_actions()
    for action in ("agent.created", "agent.config_promoted", "run.created", "approval.executed"):
        assert action in actions


def test_request_routes_refuse_bad_input(api: Api) -> None:
    assert_error(api.get("owner", REQUESTS, params={"state": "bogus"}), 422)
    assert_error(api.get("owner", REQUESTS, params={"kind": "x"}), 422)
    assert_error(api.get("owner", f"{REQUESTS}queue/", params={"limit": 0}), 422)
    assert_error(api.get("owner", f"{REQUESTS}{'a' * 32}/"), 404)
    assert_error(api.get("owner", f"{REQUESTS}not%20an%20id/"), 422)
    bad = api.post("approver", f"{REQUESTS}{'a' * 32}/decide/", json={"decision": "maybe"})
    assert assert_error(bad, 422)["fields"] == {"decision": "Input should be 'approve' or 'reject'"}
    assert_error(api.post("approver", f"{REQUESTS}{'a' * 32}/decide/", json={}), 422)
    assert_error(api.post("anonymous", f"{REQUESTS}{'a' * 32}/cancel/"), 401)


def test_rejection_needs_a_reason_and_cancel_is_final(api: Api) -> None:
    from tests.integration.api import factories

    owner, approver = api.users["owner"], api.users["approver"]
    agent_id = factories.draft_agent(api.rt, owner, [approver], "to-reject")
    request_id = api.post("owner", f"{AGENTS}{agent_id}/versions/1/promote/").json()["id"]
    again = api.post("owner", f"{AGENTS}{agent_id}/versions/1/promote/")
    assert_error(again, 409)
    no_reason = api.post("approver", f"{REQUESTS}{request_id}/decide/", json={"decision": "reject"})
    assert assert_error(no_reason, 422)["fields"] == {"reason": "required"}
    canceled = api.post("owner", f"{REQUESTS}{request_id}/cancel/", json={"reason": "withdrawn"})
    assert canceled.status_code == 200 and canceled.json()["state"] == "canceled"
    assert_error(api.post("owner", f"{REQUESTS}{request_id}/cancel/"), 409)
    late = api.post("approver", f"{REQUESTS}{request_id}/decide/", json={"decision": "approve"})
    assert late.status_code in (403, 409)
    listed = api.get("approver", REQUESTS, params={"state": "canceled", "agent": agent_id}).json()
    assert [r["id"] for r in listed["results"]] == [request_id]
