"""An in-process app over a real store, with one signed-in user per role.

Roles: ``admin``; ``owner`` (owns the objects under test), ``approver`` and ``member``
(other members; owner/approver gain meaning once agents exist); ``anonymous`` (no token).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from desk.api.app import create_app
from desk.bootstrap import Runtime, bootstrap
from desk.domain.clock import FixedClock
from desk.domain.users import Actor, Channel, User
from desk.services import users
from tests.conftest import make_settings
from tests.planted import plant

ROLES = ("admin", "owner", "approver", "member", "anonymous")
WEBHOOK_SECRET = plant("wh-3cJ9v0QmLx7ZpK2rT8nY")
ROOT = Actor.system(channel=Channel.CLI, label="tests")


@dataclass
class Api:
    """The app, its runtime and a token per role. Every response is kept for secret scans."""

    rt: Runtime
    app: FastAPI
    client: TestClient
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    seen: list[httpx.Response] = field(default_factory=list)

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        response: httpx.Response = self.client.request(method, path, headers=headers, **kwargs)
        self.seen.append(response)
        return response

    def get(self, role: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(role, "GET", path, **kwargs)

    def post(self, role: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(role, "POST", path, **kwargs)

    def patch(self, role: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(role, "PATCH", path, **kwargs)

    def put(self, role: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(role, "PUT", path, **kwargs)

    def delete(self, role: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(role, "DELETE", path, **kwargs)

    def audit_actions(self) -> list[str]:
        with self.rt.uow(write=False) as uow:
            return [e.action for e in uow.audit.list(limit=10_000)]


def seed_personas(rt: Runtime) -> tuple[dict[str, User], dict[str, str]]:
    people: dict[str, User] = {}
    tokens: dict[str, str] = {}
    for role in ROLES[:-1]:
        user = users.create_user(rt, ROOT, role, role="admin" if role == "admin" else "member")
        people[role] = user
        tokens[role] = users.create_token(rt, ROOT, user.id, name="tests").plaintext
    return people, tokens


KITE_API_KEY = "fake_api_key"
KITE_API_SECRET = plant("fake_api_secret")  # the fake Kite's app


@pytest.fixture(scope="session")
def fake_kite_url() -> Iterator[str]:
    """One fake Kite (login exchange) for the API tests; runtimes point ``kite_root`` at it."""
    from desk.adapters.kite.fake_server import run_fake_kite

    with run_fake_kite() as running:
        yield running.url


def make_runtime(url: str, home: Path, keys: str, clock: FixedClock, **extra: Any) -> Runtime:
    settings = make_settings(url, home, keys, telegram_webhook_secret=WEBHOOK_SECRET, **extra)
    return bootstrap(settings, clock=clock)


def build_api(rt: Runtime, **app_options: Any) -> Iterator[Api]:
    app = create_app(rt.settings, runtime=rt, **app_options)
    with TestClient(app, base_url="http://desk.test") as client:
        api = Api(rt=rt, app=app, client=client)
        api.users, api.tokens = seed_personas(rt)
        yield api


@pytest.fixture
def api_runtime(
    duckdb_url: str, tmp_path: Path, secret_keys: str, clock: FixedClock, fake_kite_url: str
) -> Iterator[Runtime]:
    rt = make_runtime(duckdb_url, tmp_path / "home", secret_keys, clock, kite_root=fake_kite_url)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def api(api_runtime: Runtime) -> Iterator[Api]:
    """DuckDB only: most API tests do not depend on the back-end."""
    yield from build_api(api_runtime)


@pytest.fixture
def api_both(store_url: str, tmp_path: Path, secret_keys: str, clock: FixedClock) -> Iterator[Api]:
    """Once on DuckDB and once on Postgres."""
    rt = make_runtime(store_url, tmp_path / "home", secret_keys, clock)
    try:
        yield from build_api(rt)
    finally:
        rt.close()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape; returns the ``error`` object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)
