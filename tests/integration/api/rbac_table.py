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
from desk.domain.postbacks import postback_checksum
from desk.domain.users import Actor, Channel, User
from desk.services import agents, runs, users, vault
from tests.integration.api import factories
from tests.integration.api.conftest import KITE_API_KEY, KITE_API_SECRET, WEBHOOK_SECRET
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
    server: Any = None  # the running DeskServer (engine, paper venue)
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
    query: Callable[[World], Mapping[str, Any]] | None = None  # per-case query parameters
    prepare: Callable[[World], None] | None = None  # runs before the request


def _owner_token(w: World) -> str:
    return users.create_token(w.rt, w.as_role("owner"), w.users["owner"].id).token.id


def _owner_broker(w: World) -> str:
    key, secret = plant(w.unique("rbacKiteKey")), plant(w.unique("rbacKiteSecret"))
    return vault.add_broker_credential(w.rt, w.as_role("owner"), api_key=key, api_secret=secret).id


def _owner_llm(w: World) -> str:
    key = plant(w.unique("sk-or-rbac-"))
    return vault.add_llm_credential(w.rt, w.as_role("owner"), api_key=key).id


def _people(w: World) -> tuple[User, list[User]]:
    return w.users["owner"], [w.users["approver"]]


def _agent(w: World) -> str:
    """Owned by ``owner``, ``approver`` assigned (quorum 1), v1 promoted to paper then live."""
    owner, approvers = _people(w)
    return factories.paper_agent(w.rt, owner, approvers, w.unique("rbac-agent-"), live=True)


def _run(w: World) -> str:
    return factories.pending_run(w.rt, w.server.engine, w.users["owner"], w.param("agents:id"))


def _draft_version(w: World) -> str:
    agent_id = w.param("agents:id")
    owner = w.as_role("owner")
    return str(agents.add_config_version(w.rt, owner, agent_id, factories.CONFIG).version)


def _promotion_request(w: World) -> str:
    owner, approvers = _people(w)
    agent_id = factories.draft_agent(w.rt, owner, approvers, w.unique("rbac-req-"))
    return agents.request_promotion(w.rt, w.as_role("owner"), agent_id, 1).id


def _proposal(w: World) -> str:
    return factories.proposal(w.rt, w.server.paper.market, w.users["owner"], w.param("agents:id"))


def _cancel_run(w: World) -> None:
    """The stream ends at a terminal run; a canceled one replays its events and ends."""
    runs.cancel_run(w.rt, w.as_role("owner"), w.param("agents:id"), w.param("agents:run_id"))


def _kite_credential(w: World) -> str:
    owner = w.as_role("owner")
    return vault.add_broker_credential(
        w.rt, owner, api_key=KITE_API_KEY, api_secret=KITE_API_SECRET
    ).id


def _postback(w: World) -> dict[str, Any]:
    _kite_credential(w)
    order_id, stamp = f"9{next(_counter):014d}", "2026-11-25 09:35:12"
    return {
        "order_id": order_id, "order_timestamp": stamp, "status": "COMPLETE",
        "checksum": postback_checksum(order_id, stamp, KITE_API_SECRET),
        "filled_quantity": 1, "average_price": 1500.5, "tag": None,
    }  # fmt: skip


def _owned_agent_only(status: int) -> dict[str, frozenset[int]]:
    """Owner-only mutations: owner/admin may; the approver sees the agent but may not (403);
    others do not see it (404)."""
    return roles(admin=status, owner=status, approver=403, member=404)


def _viewers(status: int) -> dict[str, frozenset[int]]:
    return roles(admin=status, owner=status, approver=status, member=404)


PATH_PARAMS: dict[str, Callable[[World], str]] = {
    "users:user_id": lambda w: w.users["owner"].id,
    "tokens:token_id": _owner_token,
    "broker-credentials:credential_id": _owner_broker,
    "llm-credentials:credential_id": _owner_llm,
    "telegram:secret": lambda w: WEBHOOK_SECRET,
    "agents:id": _agent,
    "agents:run_id": _run,
    "agents:version": _draft_version,
    "approval-requests:id": _promotion_request,
    "proposals:id": _proposal,
}

_AGENT = "/api/v1/agents/{id}"
_RUN = _AGENT + "/analysis-runs/{run_id}"

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
    # agents
    ("GET", "/api/v1/agents/"): Rule(signed_in(200)),
    ("POST", "/api/v1/agents/"): Rule(
        signed_in(201),
        body=lambda w: {
            "name": w.unique("rbac-new-"),
            "config": {**factories.CONFIG, "owner_counts_toward_quorum": True},
        },
    ),
    ("GET", _AGENT + "/"): Rule(_viewers(200)),
    ("POST", _AGENT + "/versions/"): Rule(
        _owned_agent_only(201), body=lambda w: {"config": factories.CONFIG}
    ),
    ("POST", _AGENT + "/versions/{version}/promote/"): Rule(_owned_agent_only(201)),
    ("POST", _AGENT + "/demote/"): Rule(_owned_agent_only(200)),
    ("POST", _AGENT + "/pause/"): Rule(_owned_agent_only(200), body=lambda w: {"reason": "rbac"}),
    ("POST", _AGENT + "/resume/"): Rule(_owned_agent_only(200)),
    ("PUT", _AGENT + "/kill-switch/"): Rule(_owned_agent_only(200), body=lambda w: {"on": True}),
    ("GET", "/api/v1/kill-switch/"): Rule(signed_in(200)),
    ("PUT", "/api/v1/kill-switch/"): Rule(
        admin_only(200), body=lambda w: {"on": False, "reason": "rbac"}
    ),
    # analysis runs
    ("POST", _AGENT + "/analyze/"): Rule(
        _owned_agent_only(202), body=lambda w: {"replay": "infosys_research"}
    ),
    ("GET", _AGENT + "/analysis-runs/"): Rule(_viewers(200)),
    ("GET", _RUN + "/"): Rule(_viewers(200)),
    ("GET", _RUN + "/status/"): Rule(_viewers(200)),
    ("POST", _RUN + "/cancel/"): Rule(_owned_agent_only(200)),
    ("GET", _RUN + "/events/"): Rule(_viewers(200)),
    ("GET", _RUN + "/events/stream/"): Rule(_viewers(200), prepare=_cancel_run),
    # approval requests (a pending config promotion authored by the owner)
    ("GET", "/api/v1/approval-requests/"): Rule(signed_in(200)),
    ("GET", "/api/v1/approval-requests/queue/"): Rule(signed_in(200)),
    ("GET", "/api/v1/approval-requests/stream/"): Rule(
        signed_in(200), params={"max_seconds": 0.05}
    ),
    ("GET", "/api/v1/approval-requests/{id}/"): Rule(_viewers(200)),
    ("POST", "/api/v1/approval-requests/{id}/decide/"): Rule(
        # the owner authored the version (separation of duties); admins may not decide
        # unless the config says so
        roles(admin=403, owner=403, approver=200, member=404),
        body=lambda w: {"decision": "approve", "reason": "rbac"},
    ),
    ("POST", "/api/v1/approval-requests/{id}/cancel/"): Rule(_owned_agent_only(200)),
    # proposals, orders, positions
    ("GET", "/api/v1/proposals/"): Rule(signed_in(200)),
    ("POST", "/api/v1/proposals/"): Rule(
        _owned_agent_only(201), body=lambda w: {**factories.ORDER, "agent_id": w.param("agents:id")}
    ),
    ("GET", "/api/v1/proposals/{id}/"): Rule(_viewers(200)),
    ("GET", "/api/v1/orders/"): Rule(signed_in(200)),
    ("GET", "/api/v1/positions/"): Rule(signed_in(200)),
    ("GET", "/api/v1/quotes/"): Rule(signed_in(200), query=lambda w: {"instruments": "NSE:INFY"}),
    # Kite: login URL and callback for your own credential; postbacks are public (checksum)
    ("GET", "/api/v1/kite/login-url/"): Rule(
        owned(200, admin=404), query=lambda w: {"credential_id": _kite_credential(w)}
    ),
    ("GET", "/api/v1/kite/callback/"): Rule(
        # the service refuses someone else's credential as a field error (422)
        roles(admin=200, owner=200, approver=422, member=422),
        query=lambda w: {
            "credential_id": _kite_credential(w),
            "request_token": w.unique("rbacreqtoken"),
        },
    ),
    ("POST", "/api/v1/kite/postback/"): Rule(public(200), body=_postback),
}
