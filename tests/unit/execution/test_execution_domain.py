from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.domain.broker import (
    BrokerError,
    BrokerInputError,
    BrokerRateLimitedError,
    BrokerRejectedError,
    BrokerUnavailableError,
    validate_tag,
)
from desk.domain.execution import (
    NON_TERMINAL_STATES,
    TRANSITIONS,
    ExecutionState,
    ExecutionStateError,
    RequestOutcome,
    RetryDecision,
    can_transition,
    derive_tag,
    execution_key,
    is_news,
    new_intent,
    request_outcome,
    should_retry,
    transitioned,
)
from desk.domain.orders import FINAL_STATUSES, OrderStatus
from tests.unit.execution.support import order

NOW = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
S = ExecutionState


@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip()))
def test_tag_is_deterministic_kite_safe_and_at_most_20_chars(request_id: str) -> None:
    tag = derive_tag(execution_key(request_id))
    assert tag == derive_tag(execution_key(request_id))
    assert len(tag) <= 20 and tag.startswith("dk")
    assert validate_tag(tag) == tag


def test_tags_of_different_requests_differ() -> None:
    tags = {derive_tag(execution_key(f"req-{i}")) for i in range(5000)}
    assert len(tags) == 5000


def test_new_intent_replaces_the_order_tag_with_the_derived_one() -> None:
    intent = new_intent("i1", "req-1", order("callerTag"), NOW)
    assert intent.state is S.INTENT_SAVED
    assert intent.order.tag == intent.tag == derive_tag("exec:req-1")
    assert intent.idempotency_key == "exec:req-1"


def test_terminal_states_have_no_way_out_and_every_state_is_reachable() -> None:
    assert TRANSITIONS[S.FINAL] == frozenset() and TRANSITIONS[S.FAILED] == frozenset()
    reachable = {S.INTENT_SAVED}
    frontier = set(reachable)
    while frontier:
        frontier = {t for s in frontier for t in TRANSITIONS[s]} - reachable
        reachable |= frontier
    assert reachable == set(S)
    assert set(NON_TERMINAL_STATES) == {s for s in S if not s.is_terminal}


def test_illegal_transition_is_a_conflict_naming_the_states() -> None:
    intent = new_intent("i1", "req-1", order(), NOW)
    with pytest.raises(ExecutionStateError) as err:
        transitioned(intent, S.UNKNOWN_OUTCOME)
    assert "intent_saved" in str(err.value) and err.value.fields
    assert not can_transition(S.FINAL, S.SUBMITTED)
    with pytest.raises(ValueError, match="not transition fields"):
        transitioned(intent, S.PLACING, state="final")


@pytest.mark.parametrize(
    ("status", "filled", "outcome"),
    [
        (OrderStatus.COMPLETE, 2, RequestOutcome.EXECUTED),
        (OrderStatus.REJECTED, 0, RequestOutcome.FAILED),
        (OrderStatus.CANCELLED, 0, RequestOutcome.FAILED),
        (OrderStatus.CANCELLED, 1, RequestOutcome.EXECUTED),  # partly filled, then cancelled
        (OrderStatus.OPEN, 0, None),
        (OrderStatus.TRIGGER_PENDING, 0, None),
        (OrderStatus.UNKNOWN, 0, None),
    ],
)
def test_request_outcome_from_kite_status(
    status: OrderStatus, filled: int, outcome: RequestOutcome | None
) -> None:
    assert request_outcome(status, filled) is outcome


def test_only_kite_final_statuses_give_an_outcome() -> None:
    for status in OrderStatus:
        assert (request_outcome(status) is not None) == (status in FINAL_STATUSES)


@pytest.mark.parametrize(
    ("error", "decision"),
    [
        (BrokerRateLimitedError("429", retry_safe=True), RetryDecision.RETRY),
        (BrokerUnavailableError("refused", retry_safe=True), RetryDecision.RETRY),
        (BrokerUnavailableError("timeout", outcome_unknown=True), RetryDecision.RECONCILE),
        (
            BrokerError("5xx after send", outcome_unknown=True, retry_safe=True),
            RetryDecision.RECONCILE,
        ),
        (BrokerRejectedError("margin"), RetryDecision.GIVE_UP),
        (BrokerInputError("bad symbol"), RetryDecision.GIVE_UP),
    ],
)
def test_should_retry_never_retries_an_unknown_outcome_blindly(
    error: BrokerError, decision: RetryDecision
) -> None:
    assert should_retry(error) is decision


def test_is_news_dedupes_and_ignores_stale_reports() -> None:
    intent = replace(
        new_intent("i1", "req-1", order(), NOW),
        state=S.SUBMITTED,
        order_id="o1",
        broker_status=OrderStatus.OPEN,
        filled_quantity=1,
    )
    assert not is_news(intent, "o1", OrderStatus.OPEN, 1)  # duplicate
    assert not is_news(intent, "o1", OrderStatus.OPEN, 0)  # fills never go backwards
    assert is_news(intent, "o1", OrderStatus.COMPLETE, 2)
    final = replace(intent, state=S.FINAL, broker_status=OrderStatus.COMPLETE)
    assert not is_news(final, "o1", OrderStatus.CANCELLED, 2)  # final stays final


def test_outcome_property_follows_state() -> None:
    intent = new_intent("i1", "req-1", order(), NOW)
    assert intent.outcome is None
    final = replace(intent, state=S.FINAL, broker_status=OrderStatus.COMPLETE, filled_quantity=2)
    assert final.outcome is RequestOutcome.EXECUTED
    assert replace(intent, state=S.FAILED).outcome is RequestOutcome.FAILED
    assert replace(final, average_price=Decimal("1.5")).outcome is RequestOutcome.EXECUTED
