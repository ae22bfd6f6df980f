"""Exactly-once execution of approved trade requests.

The rules, in order:

1. Persist the execution intent (unique per request) *before* anything is sent.
2. Before any placement of an intent that may have reached the broker (one this call did
   not create: a replay, a crash, a timeout, a retry), look its tag up in the broker's order
   book; an order that carries it is adopted, never placed again. An intent this very call
   created was never sent, so its first placement needs no order-book read.
3. Placing needs the claim: a conditional ``intent_saved|unknown_outcome → placing`` update,
   so concurrent executors (threads, replicas) place at most once.
4. Errors: ``retry_safe`` ones (nothing reached the broker) are retried with a bounded
   backoff; ``outcome_unknown`` ones are reconciled by tag and never retried blindly — the
   intent stays ``unknown_outcome`` until the book shows the order (adopted) or, once the
   intent is older than ``takeover_after``, a later call (``recover_pending`` at start-up,
   or ``execute_approved`` again) finds the book still without it and places it.
5. Start-up: :func:`recover_pending` reconciles every non-final intent before anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

import structlog

from desk.domain.broker import BrokerError, BrokerOrder, OrderIntent
from desk.domain.clock import Clock, IdGen
from desk.domain.errors import ConflictError, NotFoundError
from desk.domain.execution import (
    ExecutionIntent,
    ExecutionState,
    RetryDecision,
    describe_error,
    new_intent,
    order_fields,
    should_retry,
    transitioned,
)
from desk.services.ports.broker import Broker
from desk.services.ports.execution import ExecutionRepository

log = structlog.get_logger(__name__)
S = ExecutionState


class ExecutionStep(StrEnum):
    """Points the executor passes; a ``checkpoint`` hook sees each (crash tests kill here)."""

    INTENT_SAVED = "intent_saved"  # the intent is stored, nothing sent
    CLAIMED = "claimed"  # ``placing`` is stored, the broker is about to be called
    ORDER_PLACED = "order_placed"  # the broker returned an order id, not yet stored
    RESPONSE_SAVED = "response_saved"  # the order id is stored


class ExecutionAction(StrEnum):
    PLACED = "placed"  # this call placed the order
    ADOPTED = "adopted"  # the order book already had an order with the tag
    EXISTING = "existing"  # the intent already knew its order (or had failed): a replay
    IN_PROGRESS = "in_progress"  # another executor holds the claim
    UNKNOWN = "unknown"  # the broker may have the order; not visible yet
    FAILED = "failed"  # the broker refused it definitively (or retries ran out)
    UPDATED = "updated"  # tracking recorded a newer status


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    max_attempts: int = 3
    backoff_seconds: float = 0.25
    backoff_max_seconds: float = 2.0
    #: Order-book reads right after an unknown outcome, each after a backoff.
    settle_checks: int = 2
    #: A ``placing`` claim or an ``unknown_outcome`` this old may be re-examined and, when
    #: the order book shows no order with the tag, placed again.
    takeover_after: timedelta = timedelta(seconds=30)
    #: Never place an intent older than this: Kite's order book only covers today, so an
    #: old intent's absence from it proves nothing (and the approval itself is stale).
    max_place_age: timedelta = timedelta(hours=6)
    poll_interval_seconds: float = 1.0
    max_polls: int = 30

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(attempt, 0)))


Checkpoint = Callable[[ExecutionStep, ExecutionIntent], None]


@dataclass(frozen=True)
class Executor:
    """What the execution use cases need; build one per process (or per test)."""

    broker: Broker
    repo: ExecutionRepository
    clock: Clock
    ids: IdGen
    policy: ExecutionPolicy = field(default_factory=ExecutionPolicy)
    sleep: Callable[[float], None] = time.sleep
    checkpoint: Checkpoint | None = None

    def reached(self, step: ExecutionStep, intent: ExecutionIntent) -> None:
        if self.checkpoint is not None:
            self.checkpoint(step, intent)


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    intent: ExecutionIntent
    action: ExecutionAction

    @property
    def placed(self) -> bool:
        return self.action is ExecutionAction.PLACED


class ExecutionConflictError(ConflictError):
    code = "execution_conflict"


def execute_approved(ex: Executor, request_id: str, order: OrderIntent) -> ExecutionResult:
    """Place the order of an approved request exactly once (``order.tag`` is replaced by the
    tag derived from the request). Safe to call again, concurrently or after a crash.

    The call that creates the intent claims and places it without reading the order book
    (nothing was sent yet); any other call finds the stored intent and reconciles first."""
    fresh = fresh_intent(ex, request_id, order)
    return execute_saved(ex, fresh, ex.repo.save_intent(fresh))


def fresh_intent(ex: Executor, request_id: str, order: OrderIntent) -> ExecutionIntent:
    """A new intent for the request (``order.tag`` replaced by the request's tag)."""
    return new_intent(ex.ids.new_id(), request_id, order, ex.clock.now())


def execute_saved(ex: Executor, fresh: ExecutionIntent, intent: ExecutionIntent) -> ExecutionResult:
    """Go on once ``save_intent(fresh)`` returned ``intent`` — here, or in the caller's own
    transaction (the trade hand-off stores its intent atomically with ``executing``; the
    executor's repository must then be on the same store)."""
    request_id = fresh.request_id
    if intent.order != fresh.order:
        raise ExecutionConflictError(
            f"request {request_id} is already being executed with a different order",
            fields={"order": "differs from the order of the first execution"},
        )
    ex.reached(ExecutionStep.INTENT_SAVED, intent)
    if intent.id == fresh.id and intent.state is S.INTENT_SAVED:
        return _place(ex, intent)  # created by this call: it cannot be at the broker
    return _drive(ex, intent, ex.policy.takeover_after, place=True)


def recover_pending(
    ex: Executor, *, takeover_after: timedelta = timedelta(0), place_missing: bool = True
) -> list[ExecutionResult]:
    """Reconcile every non-final intent with the order book (run at start-up, before
    serving). Intents whose order is missing are placed when ``place_missing``; the default
    ``takeover_after=0`` assumes no other executor is running. Broker errors propagate:
    nothing is placed while the book cannot be read."""
    pending = ex.repo.list_non_final()
    if not pending:
        return []
    book: dict[str, BrokerOrder] = {}
    for row in find_orders(ex):  # one read for all; the first order with a tag wins
        if row.tag:
            book.setdefault(row.tag, row)
    results: list[ExecutionResult] = []
    for intent in pending:
        found = book.get(intent.tag)
        if intent.state is S.SUBMITTED and found is not None and found.order_id == intent.order_id:
            results.append(record_order(ex, intent, found))
        elif intent.state is S.SUBMITTED:
            results.append(refresh_submitted(ex, intent))
        elif found is not None:
            results.append(adopt(ex, intent, found))
        else:
            results.append(_drive(ex, intent, takeover_after, place=place_missing))
    return results


def get_intent(ex: Executor, request_id: str) -> ExecutionIntent:
    intent = ex.repo.get_by_request(request_id)
    if intent is None:
        raise NotFoundError(
            f"no execution for request {request_id}", fields={"request_id": "not executed"}
        )
    return intent


# --- the steps ----------------------------------------------------------------------------


def _drive(
    ex: Executor, intent: ExecutionIntent, takeover_after: timedelta, *, place: bool
) -> ExecutionResult:
    if intent.is_terminal or intent.state is S.SUBMITTED:
        return ExecutionResult(intent, ExecutionAction.EXISTING)
    contested = intent.state in (S.PLACING, S.UNKNOWN_OUTCOME)
    if contested and ex.clock.now() - intent.updated_at < takeover_after:
        action = (
            ExecutionAction.IN_PROGRESS if intent.state is S.PLACING else ExecutionAction.UNKNOWN
        )
        return ExecutionResult(intent, action)
    found = find_by_tag(ex, intent.tag)
    if found is not None:
        return adopt(ex, intent, found)
    if not place:
        return ExecutionResult(intent, ExecutionAction.UNKNOWN)
    if ex.clock.now() - intent.created_at > ex.policy.max_place_age:
        return _too_old(ex, intent)
    if intent.state is S.PLACING:  # a claim whose holder is gone: release it first
        released = _move(ex, intent, S.UNKNOWN_OUTCOME, last_error="claim taken over")
        if released is None:
            return _current(ex, intent, ExecutionAction.IN_PROGRESS)
        intent = released
    return _place(ex, intent)


def find_orders(ex: Executor) -> Sequence[BrokerOrder]:
    """Today's order book, read with bounded retries for retry-safe errors."""
    for attempt in range(ex.policy.max_attempts):
        try:
            return ex.broker.orders()
        except BrokerError as err:
            if should_retry(err) is RetryDecision.GIVE_UP or attempt + 1 >= ex.policy.max_attempts:
                raise
            ex.sleep(ex.policy.backoff(attempt))
    return []  # pragma: no cover - the loop returns or raises


def find_by_tag(ex: Executor, tag: str) -> BrokerOrder | None:
    """The order carrying ``tag`` in today's book; the first one if several do."""
    return next((o for o in find_orders(ex) if o.tag == tag), None)


def adopt(ex: Executor, intent: ExecutionIntent, order: BrokerOrder) -> ExecutionResult:
    """Record that the broker has ``order`` for this intent (never place again)."""
    target, fields = order_fields(order, ex.clock.now())
    moved = _move(ex, intent, target, **fields)
    if moved is None:
        return _current(ex, intent, ExecutionAction.EXISTING)
    log.info(
        "execution_adopted", request_id=intent.request_id, tag=intent.tag, order_id=order.order_id
    )
    return ExecutionResult(moved, ExecutionAction.ADOPTED)


def _place(ex: Executor, intent: ExecutionIntent) -> ExecutionResult:
    claimed = _claim(ex, intent)
    if claimed is None:
        return _current(ex, intent, ExecutionAction.IN_PROGRESS)
    return _place_claimed(ex, claimed)


def _place_claimed(ex: Executor, claimed: ExecutionIntent) -> ExecutionResult:
    """Call the broker under the claim; retry-safe errors are retried (after reading the
    order book), unknown outcomes reconciled, definitive refusals recorded."""
    tries = 0
    while True:
        ex.reached(ExecutionStep.CLAIMED, claimed)
        try:
            order_id = ex.broker.place_order(claimed.order)
        except BrokerError as err:
            tries += 1
            decision = should_retry(err)
            if decision is RetryDecision.RECONCILE:
                return _after_unknown(ex, claimed, err)
            if decision is RetryDecision.GIVE_UP or tries >= ex.policy.max_attempts:
                return _fail(ex, claimed, err)
            ex.sleep(ex.policy.backoff(tries - 1))
            found = find_by_tag(ex, claimed.tag)
            if found is not None:
                return adopt(ex, claimed, found)
            again = _claim(ex, claimed, last_error=describe_error(err))
            if again is None:
                return _current(ex, claimed, ExecutionAction.IN_PROGRESS)
            claimed = again
            continue
        return _placed(ex, claimed, order_id)


def _placed(ex: Executor, claimed: ExecutionIntent, order_id: str) -> ExecutionResult:
    ex.reached(ExecutionStep.ORDER_PLACED, claimed)
    saved = _move(ex, claimed, S.SUBMITTED, order_id=order_id, updated_at=ex.clock.now())
    if saved is None:  # recovery adopted it meanwhile
        return _current(ex, claimed, ExecutionAction.EXISTING)
    ex.reached(ExecutionStep.RESPONSE_SAVED, saved)
    log.info("execution_placed", request_id=saved.request_id, tag=saved.tag, order_id=order_id)
    return ExecutionResult(saved, ExecutionAction.PLACED)


def _after_unknown(ex: Executor, claimed: ExecutionIntent, err: BrokerError) -> ExecutionResult:
    log.warning(
        "execution_outcome_unknown", request_id=claimed.request_id, tag=claimed.tag, error=err.code
    )
    unknown = _move(ex, claimed, S.UNKNOWN_OUTCOME, last_error=describe_error(err))
    if unknown is None:
        return _current(ex, claimed, ExecutionAction.EXISTING)
    for check in range(ex.policy.settle_checks):
        ex.sleep(ex.policy.backoff(check))
        try:
            found = find_by_tag(ex, unknown.tag)
        except BrokerError:
            continue
        if found is not None:
            return adopt(ex, unknown, found)
    return ExecutionResult(unknown, ExecutionAction.UNKNOWN)


def _fail(ex: Executor, claimed: ExecutionIntent, err: BrokerError) -> ExecutionResult:
    now = ex.clock.now()
    failed = _move(ex, claimed, S.FAILED, last_error=describe_error(err), finished_at=now)
    if failed is None:
        return _current(ex, claimed, ExecutionAction.EXISTING)
    log.warning("execution_failed", request_id=failed.request_id, tag=failed.tag, error=err.code)
    return ExecutionResult(failed, ExecutionAction.FAILED)


def _too_old(ex: Executor, intent: ExecutionIntent) -> ExecutionResult:
    age = f"older than {ex.policy.max_place_age}"
    if intent.state is S.INTENT_SAVED:  # never sent: failing it is safe
        now = ex.clock.now()
        failed = _move(ex, intent, S.FAILED, last_error=f"not placed: {age}", finished_at=now)
        return ExecutionResult(failed or intent, ExecutionAction.FAILED)
    note = f"{age} and not in today's order book: check the broker by hand"
    if intent.state is S.PLACING:
        intent = _move(ex, intent, S.UNKNOWN_OUTCOME, last_error=note) or intent
    return ExecutionResult(intent, ExecutionAction.UNKNOWN)


def refresh_submitted(ex: Executor, intent: ExecutionIntent) -> ExecutionResult:
    """Read the order's latest state once and record it."""
    if intent.order_id is None:
        return ExecutionResult(intent, ExecutionAction.EXISTING)
    history = ex.broker.order_history(intent.order_id)
    if not history:
        return ExecutionResult(intent, ExecutionAction.EXISTING)
    return record_order(ex, intent, history[-1])


def record_order(ex: Executor, intent: ExecutionIntent, order: BrokerOrder) -> ExecutionResult:
    """Store a newer broker state of the intent's order (no-op when nothing changed)."""
    same = (intent.order_id, intent.broker_status, intent.filled_quantity) == (
        order.order_id,
        order.status,
        order.filled_quantity,
    )
    if intent.is_terminal or same:
        return ExecutionResult(intent, ExecutionAction.EXISTING)
    target, fields = order_fields(order, ex.clock.now())
    moved = _move(ex, intent, target, **fields)
    if moved is None:
        return _current(ex, intent, ExecutionAction.EXISTING)
    return ExecutionResult(moved, ExecutionAction.UPDATED)


# --- repository helpers -------------------------------------------------------------------


def _move(
    ex: Executor, intent: ExecutionIntent, target: ExecutionState, **fields: Any
) -> ExecutionIntent | None:
    """Conditional transition from the state *and attempt count* we read; None if someone
    else moved it. The attempt count is the version: every claim (``→ placing``) bumps it,
    so a ``placing → unknown_outcome → placing`` cycle by another executor makes a move
    based on an older read fail instead of overwriting."""
    fields.setdefault("updated_at", ex.clock.now())
    moved = transitioned(intent, target, **fields)  # validates before touching the store
    ok = ex.repo.transition(
        intent.id, intent.state, target, expected_attempts=intent.attempts, **fields
    )
    return moved if ok else None


def _claim(ex: Executor, intent: ExecutionIntent, **fields: Any) -> ExecutionIntent | None:
    """``→ placing``: the right to call the broker (one winner among concurrent executors)."""
    return _move(ex, intent, S.PLACING, attempts=intent.attempts + 1, **fields)


def _current(ex: Executor, intent: ExecutionIntent, action: ExecutionAction) -> ExecutionResult:
    latest = ex.repo.get(intent.id) or intent
    if latest.state is S.SUBMITTED or latest.is_terminal:
        action = ExecutionAction.EXISTING
    return ExecutionResult(latest, action)
