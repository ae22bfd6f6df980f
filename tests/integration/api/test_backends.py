"""A small end-to-end subset on both back-ends (DuckDB and Postgres)."""

from __future__ import annotations

from tests.integration.api.conftest import WEBHOOK_SECRET, Api, assert_error
from tests.planted import plant

KEY = plant("sk-or-v1-backends5a6b7c8d")


def test_core_routes_on_both_backends(api_both: Api) -> None:
    api = api_both
    for i in range(3):
        assert api.post("admin", "/api/v1/users/", json={"username": f"b{i}"}).status_code == 201
    page = api.get("admin", "/api/v1/users/", params={"page": 2, "page_size": 5}).json()
    assert page["count"] == 7 and len(page["results"]) == 2 and page["next"] is None
    token = api.post("member", "/api/v1/tokens/", json={"name": "pg"}).json()
    assert api.delete("member", f"/api/v1/tokens/{token['id']}/").status_code == 200
    cred = api.post("owner", "/api/v1/llm-credentials/", json={"api_key": KEY})
    assert cred.status_code == 201 and KEY not in cred.text
    assert_error(api.patch("member", f"/api/v1/llm-credentials/{cred.json()['id']}/",
                           json={"is_active": False}), 404)  # fmt: skip
    assert_error(api.put("admin", "/api/v1/users/b0/telegram-chat/", json={"chat_id": 2**53}), 422)
    hook = f"/api/v1/telegram/webhook/{WEBHOOK_SECRET}/"
    assert_error(api.post("anonymous", hook, json={"update_id": 1}), 403)
    rejected = api.get(
        "admin", "/api/v1/audit/events/", params={"action": "telegram.webhook_rejected"}
    ).json()["results"]
    assert [e["payload"]["reason"] for e in rejected] == ["missing_header"]
    verified = api.post("admin", "/api/v1/audit/verify/").json()
    assert verified["ok"] is True and verified["count"] == len(api.audit_actions())
    health = api.get("anonymous", "/health/").json()
    assert health["status"] == "ok" and health["checks"]["store"]["ok"] is True
