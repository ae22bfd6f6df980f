"""Agents and their versioned configs (pure data and small rules).

Rules
- An agent has one owner, assigned approvers and optional escalation approvers. The owner is
  never listed among the approvers: ``owner_counts_toward_quorum`` makes the owner count.
- Configs are immutable. Each change is a new :class:`ConfigVersion` (1, 2, ...) in stage
  ``draft``; validation lives in :mod:`desk.domain.agent_config`.
- Stages: ``draft → paper → live`` only through an approved ``config_promotion`` request;
  ``live → paper`` (demotion) is immediate for the owner or an admin. Promoting a version to
  ``live`` retires the previous live version, so an agent has at most one live version.
  ``retired`` is final. See :mod:`desk.domain.agent_lifecycle`.
- The approver pool of a config is the assigned approvers plus the owner when the owner counts;
  ``quorum`` and ``reject_quorum`` must fit in it.
- A version trades live only when its stage is ``live`` *and* its config's ``mode`` is ``live``;
  everything else trades on the paper broker.
- Schedules are cron expressions read in IST (Asia/Kolkata).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from desk.domain.users import Channel


class Stage(StrEnum):
    DRAFT = "draft"
    PAPER = "paper"
    LIVE = "live"
    RETIRED = "retired"


class AgentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Mode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


class TimeoutPolicy(StrEnum):
    AUTO_REJECT = "auto_reject"
    AUTO_PAUSE = "auto_pause"
    ESCALATE = "escalate"


# Tools a research agent may be given (the research adapters implement them).
RESEARCH_TOOLS: tuple[str, ...] = (
    "google_search",
    "open_webpage",
    "get_ltp",
    "get_quote",
    "get_ohlc",
    "get_positions",
)

# Channels an agent may accept decisions from. The CLI talks to the API, so it counts as api.
APPROVAL_CHANNELS: tuple[Channel, ...] = (Channel.DASHBOARD, Channel.TELEGRAM, Channel.API)

# Opaque risk-limit values until the risk issue types them: Decimals are kept as strings.
RiskValue = str | int | bool | None


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """One immutable agent configuration; every field maps to a column or a JSON value."""

    model: str
    system_prompt: str
    universe: tuple[str, ...]
    tools: tuple[str, ...] = ()
    max_steps: int = 20
    max_tokens: int = 200_000
    max_cost_usd: Decimal = Decimal("1.00")
    schedule: str | None = None
    approval_channels: tuple[Channel, ...] = (Channel.DASHBOARD, Channel.API)
    quorum: int = 1
    owner_counts_toward_quorum: bool = False
    allow_self_approval: bool = False
    reject_quorum: int = 1
    admins_may_decide: bool = False
    approval_timeout_minutes: int = 60
    timeout_policy: TimeoutPolicy = TimeoutPolicy.AUTO_REJECT
    escalation_grace_minutes: int = 15
    risk_limits: Mapping[str, RiskValue] = field(default_factory=dict, hash=False)
    mode: Mode = Mode.PAPER

    def approver_pool_size(self, assigned_approvers: int) -> int:
        """Assigned approvers plus the owner when the owner counts toward quorum."""
        return assigned_approvers + (1 if self.owner_counts_toward_quorum else 0)


def config_warnings(config: AgentConfig) -> tuple[str, ...]:
    """Things a status page must show even though the config is valid."""
    warnings: list[str] = []
    if config.allow_self_approval:
        warnings.append(
            "separation of duties is relaxed (allow_self_approval): whoever proposed a trade "
            "or authored a config version may approve it"
        )
    if config.admins_may_decide:
        warnings.append("admins may decide this agent's requests (admins_may_decide)")
    return tuple(warnings)


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str
    owner_id: str
    approver_ids: tuple[str, ...]
    escalation_approver_ids: tuple[str, ...]
    status: AgentStatus
    pause_reason: str | None
    kill_switch: bool
    created_at: datetime

    @property
    def is_paused(self) -> bool:
        return self.status is AgentStatus.PAUSED


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    agent_id: str
    version: int
    stage: Stage
    config: AgentConfig
    author_id: str
    created_at: datetime

    @property
    def key(self) -> str:
        """The ``subject_id`` of a promotion request for this version."""
        return version_key(self.agent_id, self.version)


def version_key(agent_id: str, version: int) -> str:
    return f"{agent_id}@v{version}"


def trading_mode(version: ConfigVersion) -> Mode:
    """Live only for a live-stage version whose config asks for live; paper otherwise."""
    if version.stage is Stage.LIVE and version.config.mode is Mode.LIVE:
        return Mode.LIVE
    return Mode.PAPER


def live_version(versions: Iterable[ConfigVersion]) -> ConfigVersion | None:
    live = [v for v in versions if v.stage is Stage.LIVE]
    if len(live) > 1:
        raise AssertionError(f"agent has {len(live)} live versions; at most one is allowed")
    return live[0] if live else None


def active_version(versions: Iterable[ConfigVersion]) -> ConfigVersion | None:
    """The version runs use: the live one, else the newest paper one, else none."""
    items = list(versions)
    live = live_version(items)
    if live is not None:
        return live
    paper = [v for v in items if v.stage is Stage.PAPER]
    return max(paper, key=lambda v: v.version) if paper else None
