"""Users (admin), tokens, link codes and pagination."""

from __future__ import annotations

from tests.integration.api.conftest import Api, assert_error


def test_admin_manages_users(api: Api) -> None:
    created = api.post(
        "admin",
        "/api/v1/users/",
        json={"username": "Asha", "display_name": "Asha Rao"},
        headers={"Idempotency-Key": "create-asha-1"},
    )
    assert created.status_code == 201, created.text
    asha = created.json()
    assert asha["username"] == "asha" and asha["role"] == "member" and asha["is_active"]
    assert api.get("admin", f"/api/v1/users/{asha['id']}/").json() == asha
    assert api.get("admin", "/api/v1/users/asha/").json()["id"] == asha["id"]

    promoted = api.patch("admin", "/api/v1/users/asha/", json={"role": "admin"}).json()
    assert promoted["role"] == "admin"
    disabled = api.patch("admin", f"/api/v1/users/{asha['id']}/", json={"is_active": False})
    assert disabled.json()["is_active"] is False

    linked = api.put("admin", "/api/v1/users/asha/telegram-chat/", json={"chat_id": 4242})
    assert linked.json()["telegram_linked"] is True
    unlinked = api.delete("admin", "/api/v1/users/asha/telegram-chat/")
    assert unlinked.json()["telegram_linked"] is False
    actions = api.audit_actions()
    for action in ("user.created", "user.role_changed", "user.disabled", "telegram.chat_set"):
        assert action in actions


def test_bad_user_input_is_422_or_409_and_changes_nothing(api: Api) -> None:
    before = api.audit_actions()
    bad = api.post("admin", "/api/v1/users/", json={"username": "9lives"})
    assert "pattern" in assert_error(bad, 422)["fields"]["username"]
    dup = api.post("admin", "/api/v1/users/", json={"username": "member"})
    assert assert_error(dup, 409, "already_exists")["fields"] == {"username": "taken"}
    role = api.patch("admin", "/api/v1/users/member/", json={"role": "root"})
    assert "role" in assert_error(role, 422)["fields"]
    empty = api.patch("admin", "/api/v1/users/member/", json={})
    assert_error(empty, 422)
    assert_error(api.get("admin", "/api/v1/users/nobody/"), 404, "not_found")
    assert_error(api.get("admin", "/api/v1/users/bad%20ref/"), 422)
    # Disabling yourself is refused, and the role change in the same request is not applied.
    me = api.users["admin"].id
    selfish = api.patch(
        "admin", f"/api/v1/users/{me}/", json={"role": "member", "is_active": False}
    )
    assert_error(selfish, 409, "conflict")
    assert api.get("admin", f"/api/v1/users/{me}/").json()["role"] == "admin"
    taken = api.put("admin", "/api/v1/users/owner/telegram-chat/", json={"chat_id": 7})
    assert taken.status_code == 200
    clash = api.put("admin", "/api/v1/users/member/telegram-chat/", json={"chat_id": 7})
    assert assert_error(clash, 409)["fields"] == {"chat_id": "taken"}
    zero = api.put("admin", "/api/v1/users/member/telegram-chat/", json={"chat_id": 0})
    assert "chat_id" in assert_error(zero, 422)["fields"]
    assert api.audit_actions()[:1] == ["telegram.chat_set"]
    assert len(api.audit_actions()) == len(before) + 1


def test_members_cannot_administer_users(api: Api) -> None:
    assert_error(api.get("member", "/api/v1/users/"), 403, "permission_denied")
    assert_error(api.post("member", "/api/v1/users/", json={"username": "eve"}), 403)
    assert_error(api.patch("owner", "/api/v1/users/owner/", json={"role": "admin"}), 403)


def test_pagination(api: Api) -> None:
    for i in range(21):
        assert (
            api.post("admin", "/api/v1/users/", json={"username": f"u{i:02d}"}).status_code == 201
        )
    first = api.get("admin", "/api/v1/users/", params={"page_size": 10}).json()
    assert first["count"] == 25 and first["page"] == 1 and first["page_size"] == 10
    assert len(first["results"]) == 10 and first["previous"] is None
    assert first["next"] == "http://desk.test/api/v1/users/?page=2&page_size=10"
    third = api.client.get(
        first["next"].replace("page=2", "page=3"), headers=api.headers("admin")
    ).json()
    assert len(third["results"]) == 5 and third["next"] is None
    assert third["previous"] == "http://desk.test/api/v1/users/?page=2&page_size=10"
    names = [
        u["username"]
        for p in (1, 2, 3)
        for u in api.get("admin", "/api/v1/users/", params={"page": p, "page_size": 10}).json()[
            "results"
        ]
    ]
    assert len(set(names)) == 25
    beyond = api.get("admin", "/api/v1/users/", params={"page": 9}).json()
    assert beyond["results"] == [] and beyond["count"] == 25 and beyond["next"] is None
    assert_error(api.get("admin", "/api/v1/users/", params={"page": 0}), 422)


def test_tokens_are_shown_once_and_scoped(api: Api) -> None:
    created = api.post("member", "/api/v1/tokens/", json={"name": "laptop", "expires_days": 30})
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith("desk_") and token["prefix"] == token["token"][:9]
    me = api.client.get("/api/v1/me/", headers={"Authorization": f"Bearer {token['token']}"})
    assert me.json()["username"] == "member"
    listed = api.get("member", "/api/v1/tokens/").json()
    assert {t["name"] for t in listed["results"]} == {"tests", "laptop"}
    assert all("token" not in t for t in listed["results"])
    assert token["token"] not in api.get("member", "/api/v1/tokens/").text
    assert_error(api.get("member", "/api/v1/tokens/", params={"user": "owner"}), 403)
    assert api.get("admin", "/api/v1/tokens/", params={"user": "member"}).json()["count"] == 2
    assert_error(api.post("member", "/api/v1/tokens/", json={"user": "owner"}), 403)
    for_owner = api.post("admin", "/api/v1/tokens/", json={"user": "owner", "name": "ci"})
    assert for_owner.json()["user_id"] == api.users["owner"].id
    assert_error(api.delete("member", f"/api/v1/tokens/{for_owner.json()['id']}/"), 403)
    assert api.delete("owner", f"/api/v1/tokens/{for_owner.json()['id']}/").status_code == 200
    assert_error(api.delete("owner", f"/api/v1/tokens/{for_owner.json()['id']}/"), 409)
    assert_error(api.delete("owner", "/api/v1/tokens/ffff/"), 404)
    bad = api.post("member", "/api/v1/tokens/", json={"expires_days": 0})
    assert "expires_days" in assert_error(bad, 422)["fields"]


def test_link_codes(api: Api) -> None:
    mine = api.post("member", "/api/v1/telegram/link-codes/")
    assert mine.status_code == 201 and len(mine.json()["code"]) == 12
    with_body = api.post("member", "/api/v1/telegram/link-codes/", json={})
    assert with_body.status_code == 201
    assert_error(api.post("member", "/api/v1/telegram/link-codes/", json={"user": "owner"}), 403)
    assert (
        api.post("admin", "/api/v1/telegram/link-codes/", json={"user": "owner"}).status_code == 201
    )
    assert_error(api.post("admin", "/api/v1/telegram/link-codes/", json={"user": "ghost"}), 404)


def test_revoking_disabling_and_role_changes_apply_to_the_next_request(api: Api) -> None:
    """On DuckDB token lookups are cached in-process (auth_cache); every change to a token
    or its user is seen by the very next request."""
    assert api.rt.db.auth_cache is not None
    issued = api.post("member", "/api/v1/tokens/", json={"name": "cached"}).json()
    headers = {"Authorization": f"Bearer {issued['token']}"}
    for _ in range(2):  # the second lookup is answered by the cache
        assert api.client.get("/api/v1/me/", headers=headers).json()["role"] == "member"
    api.patch("admin", "/api/v1/users/member/", json={"role": "admin"})
    assert api.client.get("/api/v1/me/", headers=headers).json()["role"] == "admin"
    api.patch("admin", "/api/v1/users/member/", json={"is_active": False})
    assert_error(api.client.get("/api/v1/me/", headers=headers), 401)
    api.patch("admin", "/api/v1/users/member/", json={"is_active": True})
    assert api.client.get("/api/v1/me/", headers=headers).status_code == 200
    assert api.delete("member", f"/api/v1/tokens/{issued['id']}/").status_code == 200
    assert_error(api.client.get("/api/v1/me/", headers=headers), 401)
