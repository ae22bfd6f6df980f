"""Every route × role gets exactly the statuses the RBAC table allows.

The routes come from the app itself, so a new route without a rule in ``rbac_table.RULES``
fails ``test_every_route_has_a_rule``. See ``rbac_table.py`` for how to add rows.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from desk.api.app import create_app
from desk.settings import DeskSettings
from tests.integration.api.conftest import Api
from tests.integration.api.rbac_table import RULES, World

PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, through included routers (FastAPI 0.150 keeps
    ``app.routes`` nested; ``iter_route_contexts`` flattens it)."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        assert route.path, f"a route without a path: {route!r}"
        assert route.methods, f"{route.path} has no methods (websocket or mount?)"
        found.update((m, route.path) for m in route.methods if m != "HEAD")
    return found


def test_every_route_has_a_rule() -> None:
    routes = app_routes(create_app(DeskSettings(_env_file=None)))
    missing = sorted(routes - RULES.keys())
    stale = sorted(RULES.keys() - routes)
    assert not missing, f"routes without an RBAC rule in rbac_table.RULES: {missing}"
    assert not stale, f"RBAC rules for routes that do not exist: {stale}"


def area_of(path: str) -> str:
    parts = path.removeprefix("/api/v1/").strip("/").split("/")
    return parts[0]


def fill(path: str, world: World) -> str:
    area = area_of(path)
    return PARAM.sub(lambda m: world.param(f"{area}:{m.group(1)}"), path)


@pytest.mark.parametrize("role", ["admin", "owner", "approver", "member", "anonymous"])
def test_route_role_matrix(api: Api, role: str) -> None:
    failures: list[str] = []
    for (method, template), rule in sorted(RULES.items()):
        world = World(api.rt, api.users, api.app.state.server)
        path = fill(template, world)
        params = {**rule.params, **(rule.query(world) if rule.query else {})}
        kwargs: dict[str, object] = {"params": params, "headers": dict(rule.headers)}
        if rule.prepare is not None:
            rule.prepare(world)
        if rule.body is not None:
            kwargs["json"] = rule.body(world)
        response = api.call(role, method, path, **kwargs)
        allowed = rule.expect[role]
        if response.status_code not in allowed:
            failures.append(
                f"{method} {template} as {role}: {response.status_code} not in {sorted(allowed)}"
                f" ({response.text[:120]})"
            )
    assert not failures, "\n".join(failures)
