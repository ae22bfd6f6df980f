"""Authentication failures, the one error shape, limits and the health document."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from desk.domain.clock import FixedClock
from desk.services import users
from tests.integration.api.conftest import ROOT, Api, assert_error, build_api


def test_missing_token_is_401_json(api: Api) -> None:
    error = assert_error(api.get("anonymous", "/api/v1/me/"), 401, "authentication_failed")
    assert "Bearer" in error["message"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer desk_" + "x" * 43,
        "Basic dXNlcjpwYXNz",
        "Bearer " + "desk_" + "y" * 300,
        "bearer",
    ],
)
def test_invalid_tokens_are_401(api: Api, header: str) -> None:
    response = api.client.get("/api/v1/me/", headers={"Authorization": header})
    assert_error(response, 401, "authentication_failed")


def test_revoked_token_is_401(api: Api) -> None:
    issued = users.create_token(api.rt, ROOT, api.users["member"].id, name="short-lived")
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    assert api.client.get("/api/v1/me/", headers=headers).status_code == 200
    revoked = api.delete("member", f"/api/v1/tokens/{issued.token.id}/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_error(api.client.get("/api/v1/me/", headers=headers), 401)


def test_expired_token_and_disabled_user_are_401(api: Api, clock: FixedClock) -> None:
    issued = users.create_token(api.rt, ROOT, api.users["member"].id, expires_days=1)
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    assert api.client.get("/api/v1/me/", headers=headers).status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    assert_error(api.client.get("/api/v1/me/", headers=headers), 401)
    assert api.get("owner", "/api/v1/me/").status_code == 200
    users.set_user_active(api.rt, ROOT, api.users["owner"].id, False)
    assert_error(api.get("owner", "/api/v1/me/"), 401)


def test_me_and_channel_header(api: Api) -> None:
    me = api.get("approver", "/api/v1/me/").json()
    assert me["username"] == "approver" and me["role"] == "member" and me["channel"] == "api"
    dash = api.get("approver", "/api/v1/me/", headers={"X-Desk-Channel": "dashboard"})
    assert dash.json()["channel"] == "dashboard"
    bad = api.get("approver", "/api/v1/me/", headers={"X-Desk-Channel": "telegram"})
    assert "X-Desk-Channel" in assert_error(bad, 422, "validation_error")["fields"]


def test_unknown_route_and_method_are_json(api: Api) -> None:
    assert_error(api.get("admin", "/api/v1/nope/"), 404, "not_found")
    assert_error(api.get("anonymous", "/definitely/not/here"), 404, "not_found")
    assert_error(api.call("admin", "PUT", "/api/v1/me/"), 405, "method_not_allowed")


def test_validation_errors_name_the_field(api: Api) -> None:
    bad_json = api.post(
        "admin",
        "/api/v1/users/",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert assert_error(bad_json, 422)["fields"] == {"body": "not valid JSON"}
    typo = api.post("admin", "/api/v1/users/", json={"username": "zed", "rol": "admin"})
    assert "rol" in assert_error(typo, 422)["fields"]
    page = api.get("admin", "/api/v1/users/", params={"page_size": 101})
    assert "page_size" in assert_error(page, 422)["fields"]
    key = api.post("member", "/api/v1/tokens/", json={}, headers={"Idempotency-Key": "has space"})
    assert "Idempotency-Key" in assert_error(key, 422)["fields"]
    nul = api.post("member", "/api/v1/tokens/", json={"name": "a\u0000b"})
    assert "name" in assert_error(nul, 422)["fields"]


@pytest.fixture
def small_api(api_runtime: object) -> Iterator[Api]:
    yield from build_api(api_runtime, max_body_bytes=2048)  # type: ignore[arg-type]


def test_body_too_large_is_413(small_api: Api) -> None:
    big = {"username": "x" * 5000}
    assert_error(small_api.post("admin", "/api/v1/users/", json=big), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        yield b'{"username": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    streamed = small_api.post(
        "admin",
        "/api/v1/users/",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert_error(streamed, 413, "payload_too_large")
    assert small_api.get("admin", "/api/v1/users/").json()["count"] == 4


def test_unexpected_errors_are_500_without_a_traceback(api: Api) -> None:
    @api.app.get("/boom")
    def boom() -> None:
        raise RuntimeError("internal detail /srv/secret/path")

    with TestClient(api.app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert error["fields"] == {}


def test_health_needs_no_token_and_shows_no_secret(api: Api) -> None:
    response = api.get("anonymous", "/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["store"] == {"ok": True, "backend": "duckdb"}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["telegram"]["webhook_configured"] is True
    settings = api.rt.settings
    assert settings.secret_keys is not None
    for secret in (settings.secret_keys.get_secret_value(), "wh-3cJ9v0QmLx7ZpK2rT8nY"):
        assert secret not in response.text
