"""One Prefect deployment per scheduled agent, kept in step with the store.

``desired_schedules`` reads the agents (pure data out); ``sync_schedules`` makes Prefect match:
creates missing deployments, updates changed ones, deletes those of agents that lost their
schedule (or no longer exist) and pauses those of paused agents. Running it twice changes
nothing the second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desk.domain.agents import active_version
from desk.services.ports.context import Context

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.responses import DeploymentResponse

TIMEZONE = "Asia/Kolkata"
FLOW_NAME = "analysis"
TAG = "desk-agent-schedule"
ENTRYPOINT = "flows.analysis.analysis_flow"  # a module path: works from any directory
CONCURRENCY = 1  # SQLite-backed Prefect serializes writes: more only contends (Postgres: ~8)


@dataclass(frozen=True, slots=True)
class AgentSchedule:
    agent_id: str
    agent_name: str
    cron: str
    paused: bool
    parameters: dict[str, Any] = field(hash=False)

    @property
    def deployment_name(self) -> str:
        return f"agent-{self.agent_id}"

    @property
    def tags(self) -> list[str]:
        return [TAG, f"agent:{self.agent_name}"]


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.deleted)} deleted "
            f"({len(self.paused)} paused)"
        )


def scheduled_query(universe: Sequence[str]) -> str:
    names = ", ".join(universe[:20]) + (" and others" if len(universe) > 20 else "")
    return (
        f"Scheduled research on {names}: report what changed since the last run, cite what "
        "you read, and propose trades only where the evidence supports them."
    )


def desired_schedules(ctx: Context) -> list[AgentSchedule]:
    """Agents whose active (live, else paper) config has a cron schedule."""
    wanted = []
    with ctx.uow(write=False) as uow:
        for agent in uow.agents.list_visible():
            version = active_version(uow.agents.versions(agent.id))
            if version is None or not version.config.schedule:
                continue
            params = {
                "agent_id": agent.id,
                "query": scheduled_query(version.config.universe),
                "run_mode": "live",
            }
            cron = version.config.schedule
            wanted.append(AgentSchedule(agent.id, agent.name, cron, agent.is_paused, params))
    return wanted


def sync_schedules(
    wanted: Sequence[AgentSchedule],
    *,
    parameter_schema: dict[str, Any] | None = None,
    concurrency: int = CONCURRENCY,
) -> SyncReport:
    """Make the Prefect API (``PREFECT_API_URL``) hold exactly ``wanted``."""
    return asyncio.run(_sync(wanted, parameter_schema, max(1, concurrency)))


async def _sync(
    wanted: Sequence[AgentSchedule], schema: dict[str, Any] | None, concurrency: int
) -> SyncReport:
    from prefect.client.orchestration import get_client

    report = SyncReport()
    async with get_client() as client:
        flow_id = await client.create_flow_from_name(FLOW_NAME)
        existing = {d.name: d for d in await _ours(client)}
        gate = asyncio.Semaphore(concurrency)

        async def upsert(item: AgentSchedule) -> None:
            current = existing.get(item.deployment_name)
            if current is not None and _same(current, item):
                report.unchanged.append(item.deployment_name)
            else:
                async with gate:
                    await _write(client, flow_id, item, schema, current)
                target = report.created if current is None else report.updated
                target.append(item.deployment_name)
            if item.paused:
                report.paused.append(item.deployment_name)

        async def delete(deployment: DeploymentResponse) -> None:
            async with gate:
                await client.delete_deployment(deployment.id)
            report.deleted.append(deployment.name)

        names = {w.deployment_name for w in wanted}
        stale = [d for name, d in existing.items() if name not in names]
        await asyncio.gather(*(upsert(w) for w in wanted), *(delete(d) for d in stale))
    return report


async def _ours(client: PrefectClient) -> list[DeploymentResponse]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterTags,
        FlowFilter,
        FlowFilterName,
    )

    found: list[DeploymentResponse] = []
    while True:
        batch = await client.read_deployments(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=[TAG])),
            limit=200,
            offset=len(found),
        )
        found.extend(batch)
        if len(batch) < 200:
            return found


def _same(current: DeploymentResponse, item: AgentSchedule) -> bool:
    crons = [
        (getattr(s.schedule, "cron", None), getattr(s.schedule, "timezone", None))
        for s in current.schedules
    ]
    return (
        crons == [(item.cron, TIMEZONE)]
        and bool(current.paused) == item.paused
        and dict(current.parameters or {}) == item.parameters
        and sorted(current.tags or []) == sorted(item.tags)
        and current.entrypoint == ENTRYPOINT
    )


async def _write(
    client: PrefectClient,
    flow_id: Any,
    item: AgentSchedule,
    schema: dict[str, Any] | None,
    current: DeploymentResponse | None,
) -> None:
    from prefect.client.schemas.actions import (
        DeploymentScheduleCreate,
        DeploymentScheduleUpdate,
        DeploymentUpdate,
    )
    from prefect.client.schemas.schedules import CronSchedule

    from desk.flows_support.analysis import REPO

    cron = CronSchedule(cron=item.cron, timezone=TIMEZONE)
    fields: dict[str, Any] = {
        "description": f"Scheduled analysis runs of agent {item.agent_name!r} (managed by desk)",
        "parameters": item.parameters,
        "tags": item.tags,
        "paused": item.paused,
        "path": str(REPO),
        "entrypoint": ENTRYPOINT,
    }
    if schema is not None:
        fields["parameter_openapi_schema"] = schema
    if current is None:
        await client.create_deployment(
            flow_id=flow_id, name=item.deployment_name,
            schedules=[DeploymentScheduleCreate(schedule=cron)], **fields,
        )  # fmt: skip
    else:  # in place (schedules replaced), so the deployment keeps its id and run history
        schedules = [DeploymentScheduleUpdate(schedule=cron, active=True)]
        await client.update_deployment(current.id, DeploymentUpdate(schedules=schedules, **fields))
