"""Exactly-once order execution: the execution intent and its state machine (pure).

An approved trade request becomes one :class:`ExecutionIntent`, saved *before* anything is
sent. Its broker ``tag`` is derived from the request, so the order book can always be searched
for it after a crash or a timeout (reconciliation) before any retry.

States::

    intent_saved ──claim──▶ placing ──order id──▶ submitted ──status final──▶ final
         │                    │  ╲                    ▲
         │                    │   ╲ outcome unknown   │ adopted (tag found in the book)
         │                    ▼    ▼                  │
         └──────────────▶  failed   unknown_outcome ──┘ (or re-claimed once the book shows
                                                         no order with the tag)

``placing`` is the claim: one conditional update ``intent_saved|unknown_outcome → placing``
decides which executor may call the broker, so concurrent executors never place twice.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from desk.domain.broker import BrokerError, BrokerOrder, OrderIntent
from desk.domain.errors import ConflictError
from desk.domain.orders import OrderStatus

TAG_PREFIX = "dk"
_TAG_HASH_CHARS = 18  # 90 bits of base32: tag = "dk" + 18 chars = 20 (Kite's maximum)


class ExecutionState(StrEnum):
    INTENT_SAVED = "intent_saved"
    PLACING = "placing"
    SUBMITTED = "submitted"
    UNKNOWN_OUTCOME = "unknown_outcome"
    FINAL = "final"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (ExecutionState.FINAL, ExecutionState.FAILED)


S = ExecutionState
#: Every legal move. ``submitted → submitted`` records a newer (still live) broker status;
#: ``placing → placing`` counts another attempt under the same claim.
TRANSITIONS: dict[ExecutionState, frozenset[ExecutionState]] = {
    S.INTENT_SAVED: frozenset({S.PLACING, S.SUBMITTED, S.FINAL, S.FAILED}),
    S.PLACING: frozenset({S.PLACING, S.SUBMITTED, S.FINAL, S.FAILED, S.UNKNOWN_OUTCOME}),
    S.UNKNOWN_OUTCOME: frozenset({S.PLACING, S.SUBMITTED, S.FINAL, S.FAILED}),
    S.SUBMITTED: frozenset({S.SUBMITTED, S.FINAL}),
    S.FINAL: frozenset(),
    S.FAILED: frozenset(),
}
NON_TERMINAL_STATES = (S.INTENT_SAVED, S.PLACING, S.UNKNOWN_OUTCOME, S.SUBMITTED)

#: The intent fields a transition may change (the SQL repository's updatable columns).
TRANSITION_FIELDS = frozenset(
    {
        "attempts",
        "order_id",
        "broker_status",
        "status_message",
        "filled_quantity",
        "average_price",
        "last_error",
        "updated_at",
        "finished_at",
    }
)


class RequestOutcome(StrEnum):
    """What the approval request becomes once its order is final."""

    EXECUTED = "executed"
    FAILED = "failed"


class ExecutionStateError(ConflictError):
    """A transition the execution state machine does not allow."""

    code = "execution_state_conflict"


def can_transition(source: ExecutionState, target: ExecutionState) -> bool:
    return target in TRANSITIONS[source]


def execution_key(request_id: str) -> str:
    """The idempotency key of a request's execution: one execution per approved request."""
    if not request_id.strip():
        raise ValueError("request_id must not be empty")
    return f"exec:{request_id.strip()}"


def derive_tag(idempotency_key: str) -> str:
    """``"dk"`` + 18 base32 chars of sha256(key): deterministic, alphanumeric, 20 chars."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    return TAG_PREFIX + base64.b32encode(digest).decode("ascii")[:_TAG_HASH_CHARS]


def request_outcome(status: OrderStatus, filled_quantity: int = 0) -> RequestOutcome | None:
    """COMPLETE → executed; CANCELLED/REJECTED → failed unless partly filled; live → None."""
    if not status.is_final:
        return None
    if status is OrderStatus.COMPLETE or filled_quantity > 0:
        return RequestOutcome.EXECUTED
    return RequestOutcome.FAILED


@dataclass(frozen=True, slots=True)
class ExecutionIntent:
    id: str
    request_id: str
    idempotency_key: str
    tag: str
    order: OrderIntent  # its tag always equals ``tag``
    state: ExecutionState
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    order_id: str | None = None
    broker_status: OrderStatus | None = None
    status_message: str | None = None
    filled_quantity: int = 0
    average_price: Decimal | None = None
    last_error: str | None = None
    finished_at: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    @property
    def outcome(self) -> RequestOutcome | None:
        if self.state is S.FAILED:
            return RequestOutcome.FAILED
        if self.state is S.FINAL and self.broker_status is not None:
            return request_outcome(self.broker_status, self.filled_quantity)
        return None


def new_intent(
    intent_id: str, request_id: str, order: OrderIntent, now: datetime
) -> ExecutionIntent:
    """A fresh intent; ``order.tag`` is replaced by the tag derived from the request."""
    key = execution_key(request_id)
    tag = derive_tag(key)
    return ExecutionIntent(
        id=intent_id,
        request_id=request_id,
        idempotency_key=key,
        tag=tag,
        order=replace(order, tag=tag),
        state=S.INTENT_SAVED,
        created_at=now,
        updated_at=now,
    )


def transitioned(
    intent: ExecutionIntent, target: ExecutionState, **fields: object
) -> ExecutionIntent:
    """The intent after a legal move (what a repository stores); raises on illegal ones."""
    if not can_transition(intent.state, target):
        raise ExecutionStateError(
            f"execution {intent.id} cannot go from {intent.state.value} to {target.value}",
            fields={"state": f"{intent.state.value} does not allow {target.value}"},
        )
    unknown = set(fields) - TRANSITION_FIELDS
    if unknown:
        raise ValueError(f"not transition fields: {sorted(unknown)}")
    return replace(intent, state=target, **fields)  # type: ignore[arg-type]


def status_fields(
    order_id: str,
    status: OrderStatus,
    *,
    status_message: str | None,
    filled_quantity: int,
    average_price: Decimal,
    now: datetime,
) -> tuple[ExecutionState, dict[str, Any]]:
    """The target state and fields that record what the broker says about the order."""
    fields: dict[str, Any] = {
        "order_id": order_id,
        "broker_status": status,
        "status_message": status_message,
        "filled_quantity": filled_quantity,
        "average_price": average_price if filled_quantity else None,
        "updated_at": now,
    }
    if status.is_final:
        fields["finished_at"] = now
        return S.FINAL, fields
    return S.SUBMITTED, fields


def order_fields(order: BrokerOrder, now: datetime) -> tuple[ExecutionState, dict[str, Any]]:
    return status_fields(
        order.order_id,
        order.status,
        status_message=order.status_message,
        filled_quantity=order.filled_quantity,
        average_price=order.average_price,
        now=now,
    )


def is_news(intent: ExecutionIntent, order_id: str, status: OrderStatus, filled: int) -> bool:
    """Whether a broker report changes what the intent knows (dedupes repeated postbacks and
    ignores stale ones: terminal intents stay as they are, fills never go backwards)."""
    if intent.is_terminal or filled < intent.filled_quantity:
        return False
    return (intent.order_id, intent.broker_status, intent.filled_quantity) != (
        order_id,
        status,
        filled,
    )


class RetryDecision(StrEnum):
    RETRY = "retry"  # nothing reached the broker: place again (after a backoff)
    RECONCILE = "reconcile"  # the broker may have acted: read the order book first
    GIVE_UP = "give_up"  # a definitive refusal: the request fails


def should_retry(error: BrokerError) -> RetryDecision:
    """Retry only what cannot double an order; an unknown outcome is reconciled, never
    retried blindly."""
    if error.outcome_unknown:
        return RetryDecision.RECONCILE
    if error.retry_safe:
        return RetryDecision.RETRY
    return RetryDecision.GIVE_UP


def describe_error(error: BrokerError) -> str:
    upstream = f" [{error.upstream_type}]" if error.upstream_type else ""
    return f"{error.code}: {error.message}{upstream}"[:500]
