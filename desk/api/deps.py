"""Request dependencies as ``Annotated`` aliases: the runtime and the authenticated actor.

Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in
its thread pool, a hop that costs more than the dependency itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from desk.bootstrap import Runtime
from desk.domain.errors import (
    AuthenticationError,
    PermissionDeniedError,
    StoreError,
    ValidationError,
)
from desk.domain.users import Actor, Channel
from desk.server import DeskServer
from desk.services import users

bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer desk_…`")

# Channels a client may claim for itself (the X-Desk-Channel values); Telegram and system
# actions come from inside.
CLIENT_CHANNELS = {Channel.API.value, Channel.DASHBOARD.value, Channel.CLI.value}


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_server(request: Request) -> DeskServer:
    """The running service (runner, execution); 503 when it is not started."""
    server: DeskServer | None = getattr(request.app.state, "server", None)
    if server is None:
        raise StoreError("the research runner and executor are not running in this process")
    return server


async def maybe_server(request: Request) -> DeskServer | None:
    server: DeskServer | None = getattr(request.app.state, "server", None)
    return server


ServerDep = Annotated[DeskServer, Depends(get_server)]
MaybeServerDep = Annotated[DeskServer | None, Depends(maybe_server)]


def get_actor(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    x_desk_channel: Annotated[
        Literal["api", "dashboard", "cli"],
        Header(alias="X-Desk-Channel", description="Which client acts (recorded in the audit)."),
    ] = "api",
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("send `Authorization: Bearer <token>`")
    user = users.authenticate(runtime, credentials.credentials)
    return Actor.of(user, Channel(x_desk_channel))


ActorDep = Annotated[Actor, Depends(get_actor)]


async def admin_actor(actor: ActorDep) -> Actor:
    """The signed-in actor, refused with 403 unless an admin."""
    if not actor.is_admin:
        raise PermissionDeniedError("only admins may do this")
    return actor


AdminDep = Annotated[Actor, Depends(admin_actor)]


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description=(
                "Optional client-chosen key (printable ASCII, no spaces) that makes a POST safe "
                "to retry. Creating an agent, a config version, a user, a token, a broker or "
                "LLM credential or a proposal, starting a run (`analyze`) and deciding an "
                "approval remember the key (per user, in the store, in the same transaction "
                "as the effect): the same key "
                "with the same body returns what the first request created, as it is now, "
                "without a second effect; the same key with a different body or on another "
                "operation is a 409. Keys are kept for 7 days. Other POSTs accept the key and "
                "are state changes that a retry cannot repeat."
            ),
            examples=["3f1c2a9e-run-2026-11-25"],
        ),
    ] = None,
) -> str | None:
    return key


IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]


async def reject_unknown_query(request: Request) -> None:
    """A misspelt query parameter is a 422 naming it, not a silently ignored filter."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        raise ValidationError(
            f"unknown query parameter(s): {', '.join(unknown)}",
            fields={name: "unknown query parameter" for name in unknown},
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
