"""Agents, config versions, promotion and kill switches over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from desk.api.schemas.common import LABEL_PATTERN, Label, NoNulls, Ref
from desk.domain.agent_config import config_to_dict
from desk.domain.agent_lifecycle import GlobalKillSwitch
from desk.domain.agents import Agent, ConfigVersion
from desk.services.agents import AgentDetail

# One visible character at least, no control character anywhere: the same pattern as labels
# (``\S`` would let a control character through in ECMA and Rust regexes).
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=LABEL_PATTERN)]

CONFIG_EXAMPLE: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "system_prompt": "You are a careful research analyst for Indian equities.",
    "universe": ["NSE:INFY", "NSE:TCS"],
    "tools": ["google_search", "open_webpage", "get_ltp"],
    "quorum": 2,
    "approval_channels": ["dashboard", "api", "telegram"],
    "mode": "paper",
}


class AgentCreate(NoNulls):
    name: Label = Field(examples=["infy-watch"])
    config: dict[str, Any] = Field(
        description="The first config version (a draft); every field is checked and each bad "
        "one is named in the 422's `fields`.",
        examples=[CONFIG_EXAMPLE],
    )
    owner: Ref | SkipJsonSchema[None] = Field(
        default=None, description="User id or username; defaults to you."
    )
    approvers: list[Ref] = Field(default_factory=list, max_length=50, examples=[["asha", "vikram"]])
    escalation_approvers: list[Ref] = Field(default_factory=list, max_length=50)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "infy-watch", "config": CONFIG_EXAMPLE, "approvers": ["asha", "vikram"]}
            ]
        }
    )


class VersionCreate(NoNulls):
    config: dict[str, Any] = Field(examples=[CONFIG_EXAMPLE])


class PauseBody(NoNulls):
    reason: Reason = Field(description="Why (shown on the agent and audited).")


class KillSwitchBody(NoNulls):
    on: bool = Field(description="true stops new trades and executions at once.")
    reason: Reason | SkipJsonSchema[None] = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"on": True, "reason": "market halt"}]}
    )


class AgentOut(BaseModel):
    id: str
    name: str
    owner_id: str
    approver_ids: list[str]
    escalation_approver_ids: list[str]
    status: Literal["active", "paused"]
    pause_reason: str | None
    kill_switch: bool
    created_at: datetime

    @classmethod
    def of(cls, a: Agent) -> AgentOut:
        return cls(
            id=a.id, name=a.name, owner_id=a.owner_id, approver_ids=list(a.approver_ids),
            escalation_approver_ids=list(a.escalation_approver_ids), status=a.status.value,
            pause_reason=a.pause_reason, kill_switch=a.kill_switch, created_at=a.created_at,
        )  # fmt: skip


class ConfigVersionOut(BaseModel):
    agent_id: str
    version: int
    stage: Literal["draft", "paper", "live", "retired"]
    config: dict[str, Any]
    author_id: str
    created_at: datetime

    @classmethod
    def of(cls, v: ConfigVersion) -> ConfigVersionOut:
        return cls(
            agent_id=v.agent_id, version=v.version, stage=v.stage.value,
            config=config_to_dict(v.config), author_id=v.author_id, created_at=v.created_at,
        )  # fmt: skip


class AgentDetailOut(AgentOut):
    versions: list[ConfigVersionOut]
    live_version: int | None = Field(description="The live config version, if any.")
    active_version: int | None = Field(description="The version runs use (live, else paper).")
    warnings: list[str]

    @classmethod
    def of_detail(cls, d: AgentDetail) -> AgentDetailOut:
        base = AgentOut.of(d.agent).model_dump()
        return cls(
            **base,
            versions=[ConfigVersionOut.of(v) for v in d.versions],
            live_version=d.live.version if d.live else None,
            active_version=d.active.version if d.active else None,
            warnings=list(d.warnings),
        )


class GlobalKillSwitchOut(BaseModel):
    on: bool
    reason: str | None
    changed_by: str | None = None
    changed_at: datetime | None = None

    @classmethod
    def of(cls, k: GlobalKillSwitch) -> GlobalKillSwitchOut:
        return cls(
            on=k.on, reason=k.reason, changed_by=k.changed_by, changed_at=k.changed_at
        )  # fmt: skip
