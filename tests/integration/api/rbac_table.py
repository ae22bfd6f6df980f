"""Who gets which status on every route: the table the RBAC test walks.

Every ``(method, path template)`` of the app needs a row in ``RULES``, or
``test_rbac.py::test_every_route_has_a_rule`` fails (and a row for a route that no longer
exists fails too). Each row says, per role, which statuses are acceptable:

* roles: ``admin``; ``owner`` (owns the objects the path names); ``approver`` (assigned
  approver of them); ``member`` (another member, no relation); ``anonymous`` (no token).
* statuses are what the role gets for a *valid* request (body from ``Rule.body``).

Path parameters are filled by ``PATH_PARAMS``, keyed ``"<area>:<name>"`` where ``area`` is
the first path segment after ``/api/v1/``. Each factory makes a fresh object for every
(route, role) case, owned by ``owner`` — so destructive requests never interfere. Factories
may call ``world.param("<area>:<name>")`` to reuse another parameter of the same case
(e.g. an analysis run of the case's agent).

Adding agent routes (lead): add ``"agents:id"`` (an agent owned by ``world.users["owner"]``
with ``world.users["approver"]`` assigned as approver), ``"agents:run_id"`` (a run of
``world.param("agents:id")``), ``"approval-requests:id"``, ...; then one row per route, e.g.
``("GET", "/api/v1/agents/{id}/"): Rule(roles(admin=200, owner=200, approver=200, member=404))``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desk.bootstrap import Runtime
from desk.domain.users import Actor, Channel, User
from desk.services import users, vault
from tests.integration.api.conftest import WEBHOOK_SECRET
from tests.planted import plant

ROLES = ("admin", "owner", "approver", "member", "anonymous")
Statuses = int | frozenset[int]

_counter = itertools.count(1)


def roles(
    *,
    admin: Statuses,
    owner: Statuses,
    approver: Statuses,
    member: Statuses,
    anonymous: Statuses = 401,
) -> dict[str, frozenset[int]]:
    given = {
        "admin": admin,
        "owner": owner,
        "approver": approver,
        "member": member,
        "anonymous": anonymous,
    }
    return {k: v if isinstance(v, frozenset) else frozenset({v}) for k, v in given.items()}


def public(status: int) -> dict[str, frozenset[int]]:
    return roles(admin=status, owner=status, approver=status, member=status, anonymous=status)


def signed_in(status: int) -> dict[str, frozenset[int]]:
    return roles(admin=status, owner=status, approver=status, member=status)


def admin_only(status: int) -> dict[str, frozenset[int]]:
    return roles(admin=status, owner=403, approver=403, member=403)


def owned(status: int, *, admin: int | None = None, others: int = 404) -> dict[str, frozenset[int]]:
    """The owner may; other members get ``others``; admins get ``admin`` (default: same)."""
    return roles(
        admin=status if admin is None else admin, owner=status, approver=others, member=others
    )


@dataclass
class World:
    """One (route, role) case: the runtime, the personas, memoized path parameters."""

    rt: Runtime
    users: dict[str, User]
    _params: dict[str, str] = field(default_factory=dict)

    def param(self, key: str) -> str:
        if key not in self._params:
            if key not in PATH_PARAMS:
                raise KeyError(f"no factory for path parameter {key!r} in PATH_PARAMS")
            self._params[key] = PATH_PARAMS[key](self)
        return self._params[key]

    def as_role(self, role: str) -> Actor:
        return Actor.of(self.users[role], Channel.API)

    @staticmethod
    def unique(prefix: str) -> str:
        return f"{prefix}{next(_counter)}"


@dataclass(frozen=True)
class Rule:
    expect: Mapping[str, frozenset[int]]
    body: Callable[[World], Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


def _owner_token(w: World) -> str:
    return users.create_token(w.rt, w.as_role("owner"), w.users["owner"].id).token.id


def _owner_broker(w: World) -> str:
    key, secret = plant(w.unique("rbacKiteKey")), plant(w.unique("rbacKiteSecret"))
    return vault.add_broker_credential(w.rt, w.as_role("owner"), api_key=key, api_secret=secret).id


def _owner_llm(w: World) -> str:
    key = plant(w.unique("sk-or-rbac-"))
    return vault.add_llm_credential(w.rt, w.as_role("owner"), api_key=key).id


PATH_PARAMS: dict[str, Callable[[World], str]] = {
    "users:user_id": lambda w: w.users["owner"].id,
    "tokens:token_id": _owner_token,
    "broker-credentials:credential_id": _owner_broker,
    "llm-credentials:credential_id": _owner_llm,
    "telegram:secret": lambda w: WEBHOOK_SECRET,
}

_PUBLIC_DOCS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")

RULES: dict[tuple[str, str], Rule] = {
    **{("GET", path): Rule(public(200)) for path in _PUBLIC_DOCS},
    ("GET", "/health/"): Rule(public(200)),
    ("GET", "/api/v1/me/"): Rule(signed_in(200)),
    # users (admin)
    ("GET", "/api/v1/users/"): Rule(admin_only(200)),
    ("POST", "/api/v1/users/"): Rule(
        admin_only(201), body=lambda w: {"username": w.unique("user")}
    ),
    ("GET", "/api/v1/users/{user_id}/"): Rule(admin_only(200)),
    ("PATCH", "/api/v1/users/{user_id}/"): Rule(admin_only(200), body=lambda w: {"role": "member"}),
    ("PUT", "/api/v1/users/{user_id}/telegram-chat/"): Rule(
        admin_only(200), body=lambda w: {"chat_id": 10_000 + next(_counter)}
    ),
    ("DELETE", "/api/v1/users/{user_id}/telegram-chat/"): Rule(admin_only(200)),
    # tokens and link codes
    ("GET", "/api/v1/tokens/"): Rule(signed_in(200)),
    ("POST", "/api/v1/tokens/"): Rule(signed_in(201), body=lambda w: {"name": "rbac"}),
    ("DELETE", "/api/v1/tokens/{token_id}/"): Rule(owned(200, others=403)),
    ("POST", "/api/v1/telegram/link-codes/"): Rule(signed_in(201)),
    ("POST", "/api/v1/telegram/webhook/{secret}/"): Rule(
        public(200),
        body=lambda w: {"update_id": 1},
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    ),
    # credentials
    ("GET", "/api/v1/broker-credentials/"): Rule(signed_in(200)),
    ("POST", "/api/v1/broker-credentials/"): Rule(
        signed_in(201),
        body=lambda w: {
            "api_key": plant(w.unique("rbacPostKey")),
            "api_secret": plant(w.unique("rbacPostSecret")),
        },
    ),
    ("GET", "/api/v1/broker-credentials/{credential_id}/"): Rule(owned(200)),
    ("PATCH", "/api/v1/broker-credentials/{credential_id}/"): Rule(
        owned(200, admin=403), body=lambda w: {"label": "renamed"}
    ),
    ("DELETE", "/api/v1/broker-credentials/{credential_id}/"): Rule(owned(204)),
    ("GET", "/api/v1/llm-credentials/"): Rule(signed_in(200)),
    ("POST", "/api/v1/llm-credentials/"): Rule(
        signed_in(201), body=lambda w: {"api_key": plant(w.unique("sk-or-rbac-post-"))}
    ),
    ("PATCH", "/api/v1/llm-credentials/{credential_id}/"): Rule(
        owned(200), body=lambda w: {"is_active": False}
    ),
    ("DELETE", "/api/v1/llm-credentials/{credential_id}/"): Rule(owned(204)),
    # audit (admin)
    ("GET", "/api/v1/audit/events/"): Rule(admin_only(200)),
    ("POST", "/api/v1/audit/verify/"): Rule(admin_only(200)),
    ("GET", "/api/v1/audit/export/"): Rule(admin_only(200), params={"format": "jsonl"}),
}
