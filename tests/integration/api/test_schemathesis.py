"""Property-based API testing from the OpenAPI document: no 5xx, responses match the schema.

In-process (ASGI), on DuckDB, with an admin token; every operation gets a fresh store.
Schemathesis 4.32's lazy ``from_fixture`` loader breaks on pytest 9.2 (``_nodeid``), so the
schema is loaded once at import from a swappable ASGI wrapper, and each test swaps in an app
over its own runtime.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.types import ASGIApp, Receive, Scope, Send

from desk.api.app import create_app
from desk.bootstrap import Runtime
from desk.server import DeskServer
from desk.services import users
from desk.settings import DeskSettings
from tests.integration.api.conftest import ROOT, make_runtime

MAX_EXAMPLES = int(os.environ.get("DESK_FUZZ_EXAMPLES", "8"))


class Swappable:
    """Forwards HTTP to ``self.app``; answers lifespan itself (runtimes come from fixtures)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


SWAP = Swappable(create_app(DeskSettings(_env_file=None)))
# The SSE streams are left out: they stay open until the run ends or the client leaves (the
# approval stream has no end at all), so a fuzzer's request never returns; they have their
# own tests in test_streams.py.
schema = schemathesis.openapi.from_asgi("/openapi.json", SWAP).exclude(path_regex=r"/stream/$")
# The coverage phase (boundary and null variants of every field) doubles the run (~80 s for
# 55 operations on 2 cores); it runs with DESK_FUZZ_COVERAGE=1 (CI's full job), the example
# and fuzzing phases always.
if os.environ.get("DESK_FUZZ_COVERAGE") != "1":
    schema.config.phases.coverage.enabled = False
# Bodies whose rules go beyond JSON Schema (an agent config's cross-field rules, a run needing
# a query or a replay that exists, a rejection needing a reason, a trade's price rules): a
# schema-valid request may rightly be a 422 naming the field, so "schema-valid data must be
# accepted" does not apply; every other check (no 5xx, documented statuses, response schema)
# still runs.
SEMANTIC_BODIES = {
    "POST /api/v1/agents/",
    "POST /api/v1/agents/{id}/versions/",
    "POST /api/v1/agents/{id}/analyze/",
    "POST /api/v1/approval-requests/{id}/decide/",
    "POST /api/v1/proposals/",
    "GET /api/v1/agents/{id}/analysis-runs/",  # date_to before date_from
}


@pytest.fixture
def fuzz_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """DuckDB; ``DESK_FUZZ_BACKEND=postgres`` fuzzes against Postgres instead (on demand)."""
    if os.environ.get("DESK_FUZZ_BACKEND") != "postgres":
        yield request.getfixturevalue("api_runtime")
        return
    url = request.getfixturevalue("postgres_url")
    keys, clock = request.getfixturevalue("secret_keys"), request.getfixturevalue("clock")
    rt = make_runtime(url, tmp_path / "home", keys, clock)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def admin_token(fuzz_runtime: Runtime) -> Iterator[str]:
    admin = users.create_user(fuzz_runtime, ROOT, "fuzzadmin", role="admin")
    app = create_app(fuzz_runtime.settings, runtime=fuzz_runtime)
    server = DeskServer(fuzz_runtime, housekeeping_seconds=3600)  # what the lifespan starts
    server.start()
    app.state.server = server
    SWAP.app = app
    try:
        yield users.create_token(fuzz_runtime, ROOT, admin.id, name="fuzz").plaintext
    finally:
        server.stop()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not os.environ.get("DESK_FUZZ_RANDOM"),
)
def test_api_conforms(case: Any, admin_token: str) -> None:
    excluded = []
    if f"{case.method.upper()} {case.path}" in SEMANTIC_BODIES:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"}, excluded_checks=excluded
    )
