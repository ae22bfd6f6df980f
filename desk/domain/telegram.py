"""What the Telegram bot sees of the desk: small frozen views of users and approval requests.

These are read models built by the approvals service for one acting user; the bot only formats
them. ``state`` values are the approval request states (``pending``, ``approved``, ...) as
plain strings so the bot does not depend on the approvals state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from desk.domain.errors import AuthenticationError, ValidationError


class TgDecision(StrEnum):
    """A decision sent from Telegram (same values as the approvals ``Verdict``)."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class TgUser:
    """A desk user whose Telegram chat is linked."""

    user_id: str
    username: str
    display_name: str
    chat_id: int


@dataclass(frozen=True, slots=True)
class RequestSummary:
    """One approval request as an approver needs to see it before deciding.

    ``value_paise`` is quantity x price in integer paise (None for market orders and config
    promotions); ``quorum_progress`` is already phrased, e.g. ``"1 of 2"``.
    """

    id: str
    agent_name: str
    kind: str
    instrument: str | None
    side: str | None
    quantity: int | None
    price: Decimal | None
    value_paise: int | None
    rationale_summary: str
    risk_summary: str
    quorum_progress: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One recorded decision: who, when, through which channel, what and why."""

    approver: str
    decided_at: datetime
    channel: str
    decision: TgDecision
    reason: str | None


@dataclass(frozen=True, slots=True)
class RequestStatus:
    """A request with its state, its decisions so far and the order status (trades only)."""

    request: RequestSummary
    state: str
    escalated: bool
    decisions: tuple[DecisionRecord, ...]
    order_status: str | None


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    """What a decision did: the request state afterwards and a sentence for the approver."""

    request_id: str
    state: str
    quorum_progress: str
    message: str


@dataclass(frozen=True, slots=True)
class InlineButton:
    text: str
    callback_data: str


#: Rows of inline buttons under a message.
InlineKeyboard = tuple[tuple[InlineButton, ...], ...]


@dataclass(frozen=True, slots=True)
class SentMessage:
    chat_id: int
    message_id: int


class AmbiguousRequestError(ValidationError):
    """A short id prefix matches more than one request the user can see."""

    code = "ambiguous_request_id"


class LinkCodeError(AuthenticationError):
    """A Telegram link code is unknown, used or expired."""

    code = "invalid_link_code"


def describe_state(state: str, escalated: bool = False) -> str:
    """A short human label for a request state."""
    labels = {
        "pending": "Pending",
        "approved": "Approved",
        "rejected": "Rejected",
        "expired": "Expired",
        "canceled": "Canceled",
        "executing": "Executing",
        "executed": "Executed",
        "failed": "Failed",
    }
    label = labels.get(state, state.replace("_", " ").capitalize())
    return f"{label} (escalated)" if escalated and state == "pending" else label
