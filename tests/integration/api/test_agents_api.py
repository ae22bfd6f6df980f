"""Agents over HTTP: create, list, versions, promotion, demotion, pause, kill switches."""

from __future__ import annotations

from tests.integration.api import factories
from tests.integration.api.conftest import Api, assert_error
from tests.integration.api.factories import CONFIG

AGENTS = "/api/v1/agents/"


def _create(api: Api, name: str, **extra: object) -> dict[str, object]:
    body = {"name": name, "config": CONFIG, "approvers": ["approver"], **extra}
    response = api.post("owner", AGENTS, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_list_show_and_new_versions(api: Api) -> None:
    agent = _create(api, "alpha")
    assert agent["owner_id"] == api.users["owner"].id
    assert agent["approver_ids"] == [api.users["approver"].id]
    assert agent["versions"][0]["config"]["universe"] == CONFIG["universe"]  # type: ignore[index]
    listed = {a["name"] for a in api.get("approver", AGENTS).json()["results"]}
    assert listed == {"alpha"}
    assert api.get("member", AGENTS).json()["count"] == 0
    assert api.get("admin", AGENTS).json()["count"] == 1
    version = api.post("owner", f"{AGENTS}{agent['id']}/versions/", json={"config": CONFIG})
    assert version.status_code == 201 and version.json()["version"] == 2
    shown = api.get("approver", f"{AGENTS}{agent['id']}/").json()
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert_error(api.get("member", f"{AGENTS}{agent['id']}/"), 404)


def test_bad_agent_input_names_the_fields(api: Api) -> None:
    bad = api.post("owner", AGENTS, json={"name": "b", "config": {**CONFIG, "quorum": 5}})
    assert "quorum" in assert_error(bad, 422)["fields"]
    missing = api.post("owner", AGENTS, json={"name": "c", "config": {"model": "x/y"}})
    assert {"system_prompt", "universe"} <= set(assert_error(missing, 422)["fields"])
    unknown = api.post("owner", AGENTS, json={"name": "d", "config": CONFIG, "approvers": ["zed"]})
    assert assert_error(unknown, 422)["fields"] == {"approver_ids": "unknown user 'zed'"}
    assert_error(api.post("owner", AGENTS, json={"name": "e", "config": []}), 422)
    assert_error(api.post("owner", AGENTS, json={"name": "e", "config": CONFIG, "x": 1}), 422)
    _create(api, "dup")
    assert_error(api.post("owner", AGENTS, json={"name": "dup", "config": CONFIG,
                                                 "approvers": ["approver"]}), 409)  # fmt: skip
    assert_error(api.post("owner", f"{AGENTS}{'f' * 32}/versions/1/promote/"), 404)
    agent = _create(api, "vers")
    assert_error(api.post("owner", f"{AGENTS}{agent['id']}/versions/9/promote/"), 404)
    assert_error(api.post("owner", f"{AGENTS}{agent['id']}/versions/0/promote/"), 422)
    assert_error(api.post("owner", f"{AGENTS}{agent['id']}/demote/"), 409)  # nothing live
    assert_error(api.put("owner", f"{AGENTS}{agent['id']}/kill-switch/", json={}), 422)


def test_pause_resume_kill_switches_and_demote(api: Api) -> None:
    owner, approver = api.users["owner"], api.users["approver"]
    agent_id = factories.paper_agent(api.rt, owner, [approver], "switchy", live=True)
    paused = api.post("owner", f"{AGENTS}{agent_id}/pause/", json={"reason": "earnings week"})
    assert paused.json()["status"] == "paused" and paused.json()["pause_reason"] == "earnings week"
    assert_error(api.post("approver", f"{AGENTS}{agent_id}/resume/"), 403)
    assert api.post("owner", f"{AGENTS}{agent_id}/resume/").json()["status"] == "active"
    on = api.put("owner", f"{AGENTS}{agent_id}/kill-switch/", json={"on": True})
    assert on.json()["kill_switch"] is True
    demoted = api.post("owner", f"{AGENTS}{agent_id}/demote/")
    assert demoted.status_code == 200 and demoted.json()["stage"] == "paper"
    assert api.get("member", "/api/v1/kill-switch/").json()["on"] is False
    assert_error(api.put("owner", "/api/v1/kill-switch/", json={"on": True}), 403)
    flipped = api.put("admin", "/api/v1/kill-switch/", json={"on": True, "reason": "halt"})
    assert flipped.json() | {"changed_at": None} == {
        "on": True, "reason": "halt", "changed_by": "admin", "changed_at": None,
    }  # fmt: skip
    assert "kill_switch.global_on" in api.audit_actions()
