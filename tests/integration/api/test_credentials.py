"""Credentials: secrets go in, masks come out; own only; admins see metadata of all."""

from __future__ import annotations

import logging

import pytest

from tests.integration.api.conftest import Api, assert_error
from tests.planted import plant

KITE_KEY = plant("kiteKEY7c2d9e1f")
KITE_SECRET = plant("kiteSECRETq8w7e6r5t4y3")
NEW_SECRET = plant("kiteSECRETz1x2c3v4b5n6")
LLM_KEY = plant("sk-or-v1-planted0a9b8c7d6e5f")
LLM_KEY_2 = plant("sk-or-v1-planted1f2e3d4c5b6a")
SECRETS = (KITE_KEY, KITE_SECRET, NEW_SECRET, LLM_KEY, LLM_KEY_2)


def assert_no_plaintext(api: Api) -> None:
    for response in api.seen:
        for secret in SECRETS:
            assert secret not in response.text, f"{response.request.url} leaked a secret"


def add_broker(api: Api, role: str = "owner") -> dict[str, object]:
    response = api.post(
        role,
        "/api/v1/broker-credentials/",
        json={"api_key": KITE_KEY, "api_secret": KITE_SECRET, "label": "main"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_broker_credentials_lifecycle(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cred = add_broker(api)
    assert cred["api_key"] == "••••" + KITE_KEY[-4:]
    assert cred["api_secret"] == "••••" and cred["access_token"] is None
    assert cred["token_status"] == "missing" and cred["user_id"] == api.users["owner"].id
    path = f"/api/v1/broker-credentials/{cred['id']}/"
    assert api.get("owner", path).json() == cred
    assert api.get("admin", path).json()["id"] == cred["id"]
    assert_error(api.get("member", path), 404)
    assert api.get("member", "/api/v1/broker-credentials/").json()["count"] == 0
    assert api.get("admin", "/api/v1/broker-credentials/").json()["count"] == 1

    renamed = api.patch("owner", path, json={"label": "renamed", "api_secret": NEW_SECRET})
    assert renamed.status_code == 200 and renamed.json()["label"] == "renamed"
    assert_error(api.patch("admin", path, json={"label": "x"}), 403)
    assert_error(api.patch("member", path, json={"label": "x"}), 404)
    assert_error(api.patch("owner", path, json={}), 422)
    assert api.delete("member", path).status_code == 404
    deleted = api.delete("owner", path)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(api.get("owner", path), 404)
    assert_no_plaintext(api)
    assert all(s not in caplog.text for s in SECRETS)


def test_llm_credentials_one_active(api: Api) -> None:
    first = api.post("member", "/api/v1/llm-credentials/", json={"api_key": LLM_KEY})
    second = api.post(
        "member", "/api/v1/llm-credentials/", json={"api_key": LLM_KEY_2, "label": "spare"}
    )
    assert first.status_code == second.status_code == 201
    assert second.json()["is_active"] and second.json()["api_key"].endswith(LLM_KEY_2[-4:])
    listed = {
        c["label"]: c for c in api.get("member", "/api/v1/llm-credentials/").json()["results"]
    }
    assert listed["default"]["is_active"] is False and listed["spare"]["is_active"] is True
    path = f"/api/v1/llm-credentials/{first.json()['id']}/"
    assert api.patch("member", path, json={"is_active": True}).json()["is_active"] is True
    listed = {
        c["label"]: c for c in api.get("member", "/api/v1/llm-credentials/").json()["results"]
    }
    assert listed["spare"]["is_active"] is False
    assert_error(api.patch("owner", path, json={"is_active": False}), 404)
    assert api.get("admin", "/api/v1/llm-credentials/").json()["count"] == 2
    assert api.delete("member", path).status_code == 204
    assert_error(api.delete("member", path), 404)
    assert_no_plaintext(api)


def test_bad_credentials_are_refused_and_store_nothing(api: Api) -> None:
    before = len(api.audit_actions())
    short = api.post(
        "owner", "/api/v1/broker-credentials/", json={"api_key": "abc", "api_secret": KITE_SECRET}
    )
    assert "6-512" in assert_error(short, 422)["fields"]["api_key"]
    missing = api.post("owner", "/api/v1/broker-credentials/", json={"api_key": KITE_KEY})
    assert "api_secret" in assert_error(missing, 422)["fields"]
    spaced = api.post("owner", "/api/v1/llm-credentials/", json={"api_key": "sk or v1 key"})
    assert "api_key" in assert_error(spaced, 422)["fields"]
    provider = api.post(
        "owner", "/api/v1/llm-credentials/", json={"api_key": LLM_KEY, "provider": "openai"}
    )
    assert "provider" in assert_error(provider, 422)["fields"]
    assert api.get("owner", "/api/v1/broker-credentials/").json()["count"] == 0
    assert api.get("owner", "/api/v1/llm-credentials/").json()["count"] == 0
    assert len(api.audit_actions()) == before
    assert_no_plaintext(api)


def test_secrets_never_in_audit_trail(api: Api) -> None:
    add_broker(api)
    api.post("owner", "/api/v1/llm-credentials/", json={"api_key": LLM_KEY})
    events = api.get("admin", "/api/v1/audit/events/", params={"limit": 500})
    assert events.status_code == 200
    export = api.get("admin", "/api/v1/audit/export/", params={"format": "jsonl"})
    assert export.status_code == 200
    assert_no_plaintext(api)
