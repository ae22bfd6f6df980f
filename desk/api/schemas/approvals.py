"""Approval requests, decisions and their orders over HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from desk.api.schemas.common import LABEL_PATTERN, NoNulls
from desk.domain.approval_model import Decision
from desk.domain.execution import ExecutionIntent
from desk.services.approvals import RequestDetail
from desk.services.telegram_desk import summarize

REASON_PATTERN = LABEL_PATTERN  # no control characters, one visible character at least
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=REASON_PATTERN)]


class DecideBody(NoNulls):
    decision: Literal["approve", "reject"]
    reason: Reason | SkipJsonSchema[None] = Field(default=None, description="Required to reject.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "approve", "reason": "evidence checks out"}]}
    )


class CancelBody(NoNulls):
    reason: Reason | SkipJsonSchema[None] = None


class SummaryOut(BaseModel):
    """The compact view an approver needs (the same one Telegram shows)."""

    instrument: str | None
    side: str | None
    quantity: int | None
    price: str | None = Field(description="Decimal string; null for market orders.")
    value_paise: int | None
    rationale_summary: str
    risk_summary: str
    quorum_progress: str = Field(examples=["1 of 2"])


class DecisionOut(BaseModel):
    approver_id: str
    username: str | None = Field(
        default=None,
        description="The approver's username (null if the user no longer exists).",
        examples=["asha"],
    )
    decision: Literal["approve", "reject"]
    reason: str | None
    channel: str
    decided_at: datetime

    @classmethod
    def of(cls, d: Decision, usernames: Mapping[str, str] | None = None) -> DecisionOut:
        return cls(
            approver_id=d.approver_id, username=(usernames or {}).get(d.approver_id),
            decision=d.decision.value, reason=d.reason, channel=d.channel.value,
            decided_at=d.decided_at,
        )  # fmt: skip


class OrderStatusOut(BaseModel):
    """The order placed for a trade request (an execution intent and the broker's word)."""

    request_id: str
    tag: str
    state: str = Field(
        description="intent_saved | placing | submitted | unknown_outcome | final | failed"
    )
    order_id: str | None
    broker_status: str | None
    status_message: str | None
    filled_quantity: int
    average_price: str | None
    attempts: int
    last_error: str | None
    instrument: str
    side: str
    quantity: int
    order_type: str
    product: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, i: ExecutionIntent) -> OrderStatusOut:
        o = i.order
        return cls(
            request_id=i.request_id, tag=i.tag, state=i.state.value, order_id=i.order_id,
            broker_status=i.broker_status.value if i.broker_status else None,
            status_message=i.status_message, filled_quantity=i.filled_quantity,
            average_price=str(i.average_price) if i.average_price is not None else None,
            attempts=i.attempts, last_error=i.last_error, instrument=o.instrument_key,
            side=o.transaction_type.value, quantity=o.quantity, order_type=o.order_type.value,
            product=o.product.value, created_at=i.created_at, updated_at=i.updated_at,
            finished_at=i.finished_at,
        )  # fmt: skip


class RequestOut(BaseModel):
    id: str
    kind: Literal["trade", "config_promotion"]
    agent_id: str
    agent_name: str
    subject_id: str
    proposer_id: str
    state: str = Field(examples=["pending"])
    escalated: bool
    quorum: int
    reject_quorum: int
    approvals: int
    eligible_approver_ids: list[str]
    approval_channels: list[str]
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    state_reason: str | None
    summary: SummaryOut

    @classmethod
    def of(cls, d: RequestDetail) -> RequestOut:
        return cls(**_request_fields(d))


def _request_fields(d: RequestDetail) -> dict[str, Any]:
    r, s = d.request, summarize(d)
    return {
        "id": r.id, "kind": r.kind.value, "agent_id": r.agent_id, "agent_name": d.agent_name,
        "subject_id": r.subject_id, "proposer_id": r.proposer_id, "state": r.state.value,
        "escalated": r.escalated, "quorum": r.quorum, "reject_quorum": r.reject_quorum,
        "approvals": d.approvals, "eligible_approver_ids": list(r.eligible_approver_ids),
        "approval_channels": [c.value for c in r.approval_channels],
        "created_at": r.created_at, "expires_at": r.expires_at, "decided_at": r.decided_at,
        "state_reason": r.state_reason,
        "summary": SummaryOut(
            instrument=s.instrument, side=s.side, quantity=s.quantity,
            price=str(s.price) if s.price is not None else None, value_paise=s.value_paise,
            rationale_summary=s.rationale_summary, risk_summary=s.risk_summary,
            quorum_progress=s.quorum_progress,
        ),
    }  # fmt: skip


class RequestDetailOut(RequestOut):
    decisions: list[DecisionOut]
    details: dict[str, Any] = Field(
        description="Trade: the order, rationale, evidence and every risk check. Promotion: "
        "the version, stages, config and diff."
    )
    risk: list[dict[str, Any]] = Field(description="Every pre-trade check (trades).")
    order: OrderStatusOut | None = Field(description="The order, once one was placed.")

    @classmethod
    def of_detail(cls, d: RequestDetail, order: ExecutionIntent | None) -> RequestDetailOut:
        risk = d.details.get("risk") if isinstance(d.details.get("risk"), list) else []
        return cls(
            **_request_fields(d),
            decisions=[DecisionOut.of(x, d.usernames) for x in d.decisions],
            details=dict(d.details),
            risk=list(risk or []),
            order=OrderStatusOut.of(order) if order is not None else None,
        )


class DecideOut(BaseModel):
    outcome: Literal["recorded", "approved", "rejected"] = Field(
        description="recorded: counted, still pending; approved/rejected: quorum reached."
    )
    replayed: bool = Field(description="true when this Idempotency-Key was seen before.")
    request: RequestOut
