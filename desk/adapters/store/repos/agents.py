"""Agents, their members and config versions; the global kill switch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from desk.adapters.store.tables import agent_config_versions, agent_members, agents, desk_controls
from desk.domain.agent_config import config_from_dict, config_to_dict
from desk.domain.agent_lifecycle import GlobalKillSwitch
from desk.domain.agents import Agent, AgentStatus, ConfigVersion, Stage


def _agent(row: Any) -> Agent:
    return Agent(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        approver_ids=tuple(row.approver_ids),
        escalation_approver_ids=tuple(row.escalation_approver_ids),
        status=AgentStatus(row.status),
        pause_reason=row.pause_reason,
        kill_switch=row.kill_switch,
        created_at=row.created_at,
    )


def _version(row: Any) -> ConfigVersion:
    return ConfigVersion(
        agent_id=row.agent_id,
        version=row.version,
        stage=Stage(row.stage),
        config=config_from_dict(row.config),
        author_id=row.author_id,
        created_at=row.created_at,
    )


class SqlAgentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, agent: Agent) -> None:
        self._conn.execute(
            agents.insert().values(
                id=agent.id,
                name=agent.name,
                owner_id=agent.owner_id,
                approver_ids=list(agent.approver_ids),
                escalation_approver_ids=list(agent.escalation_approver_ids),
                status=agent.status.value,
                pause_reason=agent.pause_reason,
                kill_switch=agent.kill_switch,
                created_at=agent.created_at,
                updated_at=agent.created_at,
                row_version=1,
            )
        )
        self._write_members(agent)

    def _write_members(self, agent: Agent) -> None:
        self._conn.execute(agent_members.delete().where(agent_members.c.agent_id == agent.id))
        rows = [
            {"agent_id": agent.id, "user_id": u, "role": "approver"} for u in agent.approver_ids
        ]
        rows += [
            {"agent_id": agent.id, "user_id": u, "role": "escalation"}
            for u in agent.escalation_approver_ids
        ]
        if rows:
            self._conn.execute(agent_members.insert(), rows)

    def get(self, agent_id: str) -> Agent | None:
        row = self._conn.execute(sa.select(agents).where(agents.c.id == agent_id)).first()
        return _agent(row) if row is not None else None

    def get_by_name(self, name: str) -> Agent | None:
        row = self._conn.execute(sa.select(agents).where(agents.c.name == name)).first()
        return _agent(row) if row is not None else None

    def list_visible(self, *, visible_to: str | None = None) -> list[Agent]:
        """All agents, or those a user owns or is attached to."""
        query = sa.select(agents).order_by(agents.c.name, agents.c.id)
        if visible_to is not None:
            member = sa.select(agent_members.c.agent_id).where(
                agent_members.c.user_id == visible_to
            )
            query = query.where(sa.or_(agents.c.owner_id == visible_to, agents.c.id.in_(member)))
        return [_agent(r) for r in self._conn.execute(query)]

    def update(self, agent: Agent, now: datetime) -> None:
        self._conn.execute(
            agents.update()
            .where(agents.c.id == agent.id)
            .values(
                name=agent.name,
                approver_ids=list(agent.approver_ids),
                escalation_approver_ids=list(agent.escalation_approver_ids),
                status=agent.status.value,
                pause_reason=agent.pause_reason,
                kill_switch=agent.kill_switch,
                updated_at=now,
                row_version=agents.c.row_version + 1,
            )
        )
        self._write_members(agent)

    # -- config versions -----------------------------------------------------------------
    def add_version(self, version: ConfigVersion) -> None:
        self._conn.execute(
            agent_config_versions.insert().values(
                agent_id=version.agent_id,
                version=version.version,
                stage=version.stage.value,
                config=config_to_dict(version.config),
                author_id=version.author_id,
                created_at=version.created_at,
                updated_at=version.created_at,
            )
        )

    def versions(self, agent_id: str) -> list[ConfigVersion]:
        t = agent_config_versions
        rows = self._conn.execute(
            sa.select(t).where(t.c.agent_id == agent_id).order_by(t.c.version)
        )
        return [_version(r) for r in rows]

    def set_stage(self, version: ConfigVersion, expected: Stage, now: datetime) -> bool:
        t = agent_config_versions
        result = self._conn.execute(
            t.update()
            .where(
                t.c.agent_id == version.agent_id,
                t.c.version == version.version,
                t.c.stage == expected.value,
            )
            .values(stage=version.stage.value, updated_at=now)
        )
        return result.rowcount == 1

    # -- global kill switch --------------------------------------------------------------
    def global_kill_switch(self) -> GlobalKillSwitch:
        row = self._conn.execute(sa.select(desk_controls).where(desk_controls.c.id == 1)).one()
        return GlobalKillSwitch(
            on=row.kill_switch,
            reason=row.kill_switch_reason,
            changed_by=row.kill_switch_changed_by,
            changed_at=row.kill_switch_changed_at,
        )

    def set_global_kill_switch(self, state: GlobalKillSwitch) -> None:
        self._conn.execute(
            desk_controls.update()
            .where(desk_controls.c.id == 1)
            .values(
                kill_switch=state.on,
                kill_switch_reason=state.reason,
                kill_switch_changed_by=state.changed_by,
                kill_switch_changed_at=state.changed_at,
            )
        )
