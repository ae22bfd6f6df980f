"""Approval requests, decisions and their effects: the data (see :mod:`desk.domain.approvals`).

Every field maps to a column: ``ApprovalRequest`` to the request row (``version`` is the
optimistic-concurrency counter), ``Decision`` to a row unique on ``(request_id, approver_id)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from desk.domain.agents import TimeoutPolicy
from desk.domain.users import Channel


class RequestKind(StrEnum):
    TRADE = "trade"
    CONFIG_PROMOTION = "config_promotion"


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELED = "canceled"
    EXECUTING = "executing"
    EXECUTED = "executed"
    FAILED = "failed"


FINAL_STATES = frozenset(
    {
        RequestState.REJECTED,
        RequestState.EXPIRED,
        RequestState.CANCELED,
        RequestState.EXECUTED,
        RequestState.FAILED,
    }
)


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class DecisionOutcome(StrEnum):
    RECORDED = "recorded"  # counted; the request is still pending
    APPROVED = "approved"
    REJECTED = "rejected"


class NoticeTopic(StrEnum):
    CREATED = "created"
    ESCALATED = "escalated"
    DECIDED = "decided"
    CANCELED = "canceled"
    EXPIRED = "expired"
    EXECUTED = "executed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    id: str
    kind: RequestKind
    agent_id: str
    subject_id: str
    proposer_id: str
    state: RequestState
    escalated: bool
    escalated_at: datetime | None
    quorum: int
    reject_quorum: int
    allow_self_approval: bool
    eligible_approver_ids: tuple[str, ...]
    escalation_approver_ids: tuple[str, ...]
    approval_channels: tuple[Channel, ...]
    timeout_policy: TimeoutPolicy
    escalation_grace_minutes: int
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    state_reason: str | None
    version: int

    def is_final(self) -> bool:
        return self.state in FINAL_STATES or (
            self.state is RequestState.APPROVED and self.kind is RequestKind.CONFIG_PROMOTION
        )


@dataclass(frozen=True, slots=True)
class Decision:
    request_id: str
    approver_id: str
    decision: Verdict
    reason: str | None
    channel: Channel
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class RequestNotice:
    """Published to channels (dashboard, Telegram, SSE) when a request changes."""

    topic: NoticeTopic
    request_id: str
    agent_id: str
    kind: RequestKind
    state: RequestState
    recipient_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PauseAgent:
    agent_id: str
    reason: str


Effect = RequestNotice | PauseAgent
