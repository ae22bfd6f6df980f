"""The OpenAPI document: every route documented, secured where it must be, with examples."""

from __future__ import annotations

from typing import Any

import pytest

from desk.api.app import create_app
from desk.settings import DeskSettings

PUBLIC = {
    ("get", "/health/"),
    ("post", "/api/v1/telegram/webhook/{secret}/"),
    ("post", "/api/v1/kite/postback/"),
}
FOUNDATION_PATHS = {
    "/health/",
    "/api/v1/me/",
    "/api/v1/users/",
    "/api/v1/users/{user_id}/",
    "/api/v1/users/{user_id}/telegram-chat/",
    "/api/v1/tokens/",
    "/api/v1/tokens/{token_id}/",
    "/api/v1/telegram/link-codes/",
    "/api/v1/telegram/webhook/{secret}/",
    "/api/v1/broker-credentials/",
    "/api/v1/broker-credentials/{credential_id}/",
    "/api/v1/llm-credentials/",
    "/api/v1/llm-credentials/{credential_id}/",
    "/api/v1/audit/events/",
    "/api/v1/audit/verify/",
    "/api/v1/audit/export/",
}
SEED_PATHS = {
    "/api/v1/agents/",
    "/api/v1/agents/{id}/analyze/",
    "/api/v1/agents/{id}/analysis-runs/",
    "/api/v1/agents/{id}/analysis-runs/{run_id}/",
    "/api/v1/agents/{id}/analysis-runs/{run_id}/status/",
    "/api/v1/agents/{id}/analysis-runs/{run_id}/cancel/",
    "/api/v1/agents/{id}/analysis-runs/{run_id}/events/",
    "/api/v1/agents/{id}/analysis-runs/{run_id}/events/stream/",
    "/api/v1/approval-requests/",
    "/api/v1/approval-requests/queue/",
    "/api/v1/approval-requests/{id}/decide/",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(DeskSettings(_env_file=None)).openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_foundation_paths_exist_with_trailing_slashes(spec: dict[str, Any]) -> None:
    assert set(spec["paths"]) >= FOUNDATION_PATHS | SEED_PATHS
    assert all(p.endswith("/") for p in spec["paths"])
    assert all(p == "/health/" or p.startswith("/api/v1/") for p in spec["paths"])


def test_security_and_error_responses(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        secured = bool(op.get("security"))
        assert secured != ((method, path) in PUBLIC), f"{method} {path} security"
        assert op.get("summary"), f"{method} {path} has no summary"
        codes = set(op["responses"])
        assert "500" in codes, f"{method} {path}"
        if secured:
            assert {"401", "403", "422"} <= codes, f"{method} {path}: {codes}"
        for code, response in op["responses"].items():
            if code.startswith("4") or code == "500":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), f"{method} {path} {code}"


def test_posts_accept_an_idempotency_key(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        if method != "post" or (method, path) in PUBLIC or path.endswith("/verify/"):
            continue
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in names, f"{method} {path}"


def test_schemas_carry_examples_and_secrets_are_write_only(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("UserOut", "MeOut", "TokenOut", "ErrorBody", "HealthOut", "UserUpdate"):
        assert schemas[name].get("examples"), name
    for name in ("BrokerCredentialCreate", "LlmCredentialCreate"):
        key = schemas[name]["properties"]["api_key"]
        assert key["format"] == "password" and key["writeOnly"] is True
    page = schemas["Page_UserOut_"]["properties"]
    assert set(page) == {"count", "page", "page_size", "next", "previous", "results"}


def test_docs_are_served(spec: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    # No `with`: the lifespan (which would open a store) does not run; docs need none.
    client = TestClient(create_app(DeskSettings(_env_file=None)))
    assert "swagger-ui" in client.get("/docs").text
    assert client.get("/openapi.json").json()["info"]["title"] == "Desk promotion service"
