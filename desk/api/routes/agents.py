"""Agents: create, list, config versions, promotion, demotion, pause, kill switches.

Visibility follows the services: people with no relation to an agent get 404; related
people who may not change it (approvers) get 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from desk.api.deps import ActorDep, AdminDep, IdempotencyKeyDep, MaybeServerDep, RuntimeDep
from desk.api.pagination import PageDep
from desk.api.params import IdPath
from desk.api.schemas.agents import (
    AgentCreate,
    AgentDetailOut,
    AgentOut,
    ConfigVersionOut,
    GlobalKillSwitchOut,
    KillSwitchBody,
    PauseBody,
    VersionCreate,
)
from desk.api.schemas.approvals import RequestOut
from desk.api.schemas.common import ERROR_RESPONSES, Page
from desk.services import agents, approvals

router = APIRouter(prefix="/api/v1", tags=["agents"], responses=ERROR_RESPONSES)
VersionPath = Annotated[int, Path(ge=1, le=1_000_000, description="Config version number.")]


@router.get("/agents/", response_model=Page[AgentOut], summary="Agents you own or approve")
def list_agents(runtime: RuntimeDep, actor: ActorDep, paging: PageDep) -> Page[AgentOut]:
    """Admins see every agent; others those they own, approve or escalate for."""
    return paging.slice(agents.list_agents(runtime, actor), AgentOut.of)


@router.post(
    "/agents/",
    response_model=AgentDetailOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create an agent with its first config version (a draft)",
)
def create_agent(
    runtime: RuntimeDep, actor: ActorDep, body: AgentCreate, key: IdempotencyKeyDep
) -> AgentDetailOut:
    """Replaying an `Idempotency-Key` returns the agent that key created (as it is now)."""
    detail = agents.create_agent(
        runtime, actor, name=body.name, config=body.config, owner=body.owner,
        approvers=body.approvers, escalation_approvers=body.escalation_approvers,
        idempotency_key=key,
    )  # fmt: skip
    return AgentDetailOut.of_detail(detail)


@router.get("/agents/{id}/", response_model=AgentDetailOut, summary="One agent and its versions")
def get_agent(runtime: RuntimeDep, actor: ActorDep, id: IdPath) -> AgentDetailOut:
    return AgentDetailOut.of_detail(agents.get_agent(runtime, actor, id))


@router.post(
    "/agents/{id}/versions/",
    response_model=ConfigVersionOut,
    status_code=status.HTTP_201_CREATED,
    summary="A new config version (a draft; owner or admin)",
)
def add_version(
    runtime: RuntimeDep, actor: ActorDep, id: IdPath, body: VersionCreate, key: IdempotencyKeyDep
) -> ConfigVersionOut:
    version = agents.add_config_version(runtime, actor, id, body.config, idempotency_key=key)
    return ConfigVersionOut.of(version)


@router.post(
    "/agents/{id}/versions/{version}/promote/",
    response_model=RequestOut,
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a promotion (draft → paper, paper → live), decided by quorum",
)
def promote(
    runtime: RuntimeDep,
    actor: ActorDep,
    server: MaybeServerDep,
    id: IdPath,
    version: VersionPath,
    _key: IdempotencyKeyDep,
) -> RequestOut:
    catalog = server.catalog if server is not None else None
    request = agents.request_promotion(runtime, actor, id, version, catalog=catalog)
    return RequestOut.of(approvals.get_request(runtime, actor, request.id))


@router.post(
    "/agents/{id}/demote/",
    response_model=ConfigVersionOut,
    summary="Live → paper at once (owner or admin)",
)
def demote(
    runtime: RuntimeDep, actor: ActorDep, id: IdPath, _key: IdempotencyKeyDep
) -> ConfigVersionOut:
    return ConfigVersionOut.of(agents.demote(runtime, actor, id))


@router.post("/agents/{id}/pause/", response_model=AgentOut, summary="Pause the agent")
def pause(
    runtime: RuntimeDep, actor: ActorDep, id: IdPath, body: PauseBody, _key: IdempotencyKeyDep
) -> AgentOut:
    return AgentOut.of(agents.set_paused(runtime, actor, id, True, body.reason))


@router.post("/agents/{id}/resume/", response_model=AgentOut, summary="Resume a paused agent")
def resume(runtime: RuntimeDep, actor: ActorDep, id: IdPath, _key: IdempotencyKeyDep) -> AgentOut:
    return AgentOut.of(agents.set_paused(runtime, actor, id, False))


@router.put(
    "/agents/{id}/kill-switch/",
    response_model=AgentOut,
    summary="Turn the agent's kill switch on or off (owner or admin)",
)
def agent_kill_switch(
    runtime: RuntimeDep, actor: ActorDep, id: IdPath, body: KillSwitchBody
) -> AgentOut:
    return AgentOut.of(agents.set_agent_kill_switch(runtime, actor, id, body.on))


@router.get(
    "/kill-switch/", response_model=GlobalKillSwitchOut, summary="The desk-wide kill switch"
)
def get_kill_switch(runtime: RuntimeDep, actor: ActorDep) -> GlobalKillSwitchOut:
    return GlobalKillSwitchOut.of(agents.get_global_kill_switch(runtime))


@router.put(
    "/kill-switch/",
    response_model=GlobalKillSwitchOut,
    summary="Turn the desk-wide kill switch on or off (admin)",
)
def set_kill_switch(
    runtime: RuntimeDep, actor: AdminDep, body: KillSwitchBody
) -> GlobalKillSwitchOut:
    return GlobalKillSwitchOut.of(
        agents.set_global_kill_switch(runtime, actor, body.on, body.reason)
    )
