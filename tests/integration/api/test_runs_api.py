"""Analysis runs over HTTP: sync and async starts, history filters, status, cancel, events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api import factories
from tests.integration.api.conftest import Api, assert_error

AGENTS = "/api/v1/agents/"


@pytest.fixture
def agent_id(api: Api) -> str:
    return factories.paper_agent(api.rt, api.users["owner"], [api.users["approver"]], "runner")


def _runs(api: Api, agent_id: str, **params: Any) -> dict[str, Any]:
    response = api.get("approver", f"{AGENTS}{agent_id}/analysis-runs/", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_sync_analyze_returns_the_finished_run(api: Api, agent_id: str) -> None:
    body = {"replay": "infosys_research", "async_mode": False}
    done = api.post("owner", f"{AGENTS}{agent_id}/analyze/", json=body)
    assert done.status_code == 200, done.text
    run = done.json()
    assert run["status"] == "completed" and run["mode"] == "replay" and run["result_text"]
    assert run["event_count"] > 3 and run["steps"] >= 1
    page = api.get("owner", f"{AGENTS}{agent_id}/analysis-runs/{run['id']}/events/",
                   params={"after": 2, "limit": 2}).json()  # fmt: skip
    assert [e["seq"] for e in page["results"]] == [3, 4] and page["more"] is True
    assert page["next_after"] == 4
    full = api.get("member", f"{AGENTS}{agent_id}/analysis-runs/{run['id']}/")
    assert_error(full, 404)
    refused = api.post("owner", f"{AGENTS}{agent_id}/analysis-runs/{run['id']}/cancel/")
    assert assert_error(refused, 409)["fields"] == {"status": "completed"}


def test_history_filters_order_and_pages(api: Api, agent_id: str) -> None:
    ids = [factories.pending_run(api.rt, None, api.users["owner"], agent_id) for _ in range(3)]
    cancel = api.post("owner", f"{AGENTS}{agent_id}/analysis-runs/{ids[0]}/cancel/")
    assert cancel.status_code == 200 and cancel.json()["status"] == "canceled"
    assert _runs(api, agent_id)["count"] == 3
    assert _runs(api, agent_id, status="pending")["count"] == 2
    assert _runs(api, agent_id, status="pending,canceled")["count"] == 3
    assert _runs(api, agent_id, q="INFY")["count"] == 3
    assert _runs(api, agent_id, q="nothing-like-this")["count"] == 0
    today = "2026-11-25"  # the tests' clock: 09:30 IST
    assert _runs(api, agent_id, date_from=today, date_to=today)["count"] == 3
    assert _runs(api, agent_id, date_to="2026-11-24")["count"] == 0
    first = _runs(api, agent_id, page_size=2, order_by="created_at")
    assert first["next"] and first["previous"] is None and len(first["results"]) == 2
    second = _runs(api, agent_id, page=2, page_size=2, order_by="created_at")
    assert second["next"] is None and len(second["results"]) == 1
    status = api.get("owner", f"{AGENTS}{agent_id}/analysis-runs/{ids[1]}/status/").json()
    assert status["status"] == "pending" and status["is_terminal"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "status"),
        ({"order_by": "name"}, "order_by"),
        ({"date_from": "25-11-2026"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_from": "2026-11-25", "date_to": "2026-11-01"}, "date_to"),
        ({"page": 0}, "page"),
        ({"page_size": 101}, "page_size"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_history_refuses_bad_filters(
    api: Api, agent_id: str, params: dict[str, Any], field: str
) -> None:
    response = api.get("owner", f"{AGENTS}{agent_id}/analysis-runs/", params=params)
    assert field in assert_error(response, 422)["fields"]


def test_analyze_refuses_bad_input(api: Api, agent_id: str) -> None:
    url = f"{AGENTS}{agent_id}/analyze/"
    assert assert_error(api.post("owner", url, json={}), 422)["fields"] == {"query": "required"}
    assert_error(api.post("owner", url, json={"query": "   "}), 422)
    assert_error(api.post("owner", url, json={"replay": "../etc/passwd"}), 422)
    assert_error(api.post("owner", url, json={"replay": "no_such_transcript"}), 404)
    assert_error(api.post("owner", url, json={"query": "q", "config_version": 7}), 422)
    assert_error(api.post("owner", url, json={"query": "q", "async_mode": "no"}), 422)
    assert_error(api.post("approver", url, json={"query": "q"}), 403)
    assert_error(api.post("member", url, json={"query": "q"}), 404)
    api.post("owner", f"{AGENTS}{agent_id}/pause/", json={"reason": "review"})
    assert_error(api.post("owner", url, json={"query": "q"}), 409)
    stream = f"{AGENTS}{agent_id}/analysis-runs/{'a' * 32}/events/stream/"
    assert_error(api.get("owner", stream), 404)
