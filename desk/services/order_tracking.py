"""Following placed orders to a final state: polling and Kite postbacks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import structlog

from desk.domain.broker import BrokerError
from desk.domain.execution import (
    ExecutionIntent,
    ExecutionState,
    is_news,
    status_fields,
    transitioned,
)
from desk.domain.postbacks import OrderUpdate, parse_postback
from desk.services.execution import (
    ExecutionAction,
    ExecutionResult,
    Executor,
    adopt,
    find_by_tag,
    get_intent,
    record_order,
)

log = structlog.get_logger(__name__)
S = ExecutionState


def track_order(
    ex: Executor,
    request_id: str,
    *,
    max_polls: int | None = None,
    known: ExecutionIntent | None = None,
) -> ExecutionResult:
    """Poll ``order_history`` until the request's order is final (or polls run out).

    An intent without an order id is reconciled by tag first. Read errors that are safe to
    retry count as a poll; others propagate. ``known``: the intent as the caller just stored
    it (the first poll skips reading it again; every write stays conditional).
    """
    intent = known if known is not None else get_intent(ex, request_id)
    polls = ex.policy.max_polls if max_polls is None else max_polls
    result = ExecutionResult(intent, ExecutionAction.EXISTING)
    for poll in range(max(polls, 1)):
        if result.intent.is_terminal:
            return result
        if poll:
            ex.sleep(ex.policy.poll_interval_seconds)
        try:
            result = _poll_once(ex, result.intent, fresh=known is not None and not poll)
        except BrokerError as err:
            if not err.retry_safe:
                raise
    return result


def _poll_once(ex: Executor, intent: ExecutionIntent, *, fresh: bool = False) -> ExecutionResult:
    latest = intent if fresh else ex.repo.get(intent.id) or intent
    if latest.order_id is None:
        if latest.state is S.PLACING:  # the placing executor will record the id
            return ExecutionResult(latest, ExecutionAction.IN_PROGRESS)
        found = find_by_tag(ex, latest.tag)
        if found is None:
            return ExecutionResult(latest, ExecutionAction.UNKNOWN)
        return adopt(ex, latest, found)
    history = ex.broker.order_history(latest.order_id)
    if not history:
        return ExecutionResult(latest, ExecutionAction.EXISTING)
    return record_order(ex, latest, history[-1])


class PostbackAction(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # same (order, status, filled) as known, or the intent is final
    UNKNOWN_ORDER = "unknown_order"  # not one of ours (placed outside the desk)
    LOST_RACE = "lost_race"  # the intent moved meanwhile; the next report will catch up


@dataclass(frozen=True, slots=True)
class PostbackResult:
    action: PostbackAction
    update: OrderUpdate
    intent: ExecutionIntent | None


def apply_postback(ex: Executor, payload: Mapping[str, object], api_secret: str) -> PostbackResult:
    """Verify a Kite postback (raises ``PostbackChecksumError``) and record it once.

    The intent is found by order id, else by tag (a postback can beat the executor saving
    the order id after a crash). Duplicates and stale reports change nothing.
    """
    update = parse_postback(payload, api_secret)
    intent = ex.repo.get_by_order_id(update.order_id)
    if intent is None and update.tag is not None:
        intent = ex.repo.get_by_tag(update.tag)
    if intent is None:
        log.warning("postback_unknown_order", order_id=update.order_id)
        return PostbackResult(PostbackAction.UNKNOWN_ORDER, update, None)
    if intent.order_id not in (None, update.order_id) or not is_news(
        intent, update.order_id, update.status, update.filled_quantity
    ):
        return PostbackResult(PostbackAction.DUPLICATE, update, intent)
    target, fields = status_fields(
        update.order_id,
        update.status,
        status_message=update.status_message,
        filled_quantity=update.filled_quantity,
        average_price=update.average_price,
        now=ex.clock.now(),
    )
    moved = transitioned(intent, target, **fields)
    if not ex.repo.transition(intent.id, intent.state, target, **fields):
        return PostbackResult(PostbackAction.LOST_RACE, update, ex.repo.get(intent.id))
    log.info("postback_applied", order_id=update.order_id, status=update.status.value)
    return PostbackResult(PostbackAction.APPLIED, update, moved)
