"""Decisions, queue, visibility, idempotency, timeouts, kill switch and races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from desk.bootstrap import Runtime
from desk.domain.approval_model import DecisionOutcome, RequestState
from desk.domain.clock import FixedClock
from desk.domain.errors import (
    ConflictError,
    DeskError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from desk.services import agents, approvals, audit
from desk.services.ports.events import DomainEvent
from tests.integration.conftest import (
    People,
    make_agent,
    open_trade,
    promote_to_paper,
)


@pytest.fixture
def trade_agent(runtime: Runtime, people: People) -> str:
    agent_id = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent_id)
    return agent_id


def test_quorum_of_distinct_approvers(runtime: Runtime, people: People, trade_agent: str) -> None:
    events: list[DomainEvent] = []
    runtime.events.subscribe(events.append)
    request = open_trade(runtime, people, trade_agent)
    first = approvals.decide(runtime, people.a1, request.id, "approve")
    assert first.outcome is DecisionOutcome.RECORDED and first.request.state is RequestState.PENDING
    with pytest.raises(ConflictError, match="already decided"):
        approvals.decide(runtime, people.a1, request.id, "approve")
    second = approvals.decide(runtime, people.a2, request.id, "approve")
    assert second.outcome is DecisionOutcome.APPROVED
    with pytest.raises(ConflictError, match="approved"):
        approvals.decide(runtime, people.a3, request.id, "approve")
    detail = approvals.get_request(runtime, people.owner, request.id)
    assert (
        detail.progress == "2 of 2" and [d.channel.value for d in detail.decisions] == ["api"] * 2
    )
    assert [e.topic for e in events] == ["approval.created", "approval.decided"]


def test_refusals_change_nothing(runtime: Runtime, people: People, trade_agent: str) -> None:
    request = open_trade(runtime, people, trade_agent)
    cases = [
        (people.owner, "approve", None, "proposed this"),  # separation of duties
        (people.outsider, "approve", None, "no approval request"),
        (people.escalator, "approve", None, "once the request is escalated"),
        (people.a1, "maybe", None, "approve' or 'reject"),
        (people.a1, "reject", "  ", "needs a reason"),
    ]
    for actor, decision, reason, message in cases:
        with pytest.raises(DeskError, match=message):
            approvals.decide(runtime, actor, request.id, decision, reason)
    detail = approvals.get_request(runtime, people.owner, request.id)
    assert detail.decisions == () and detail.request.version == request.version


def test_any_reject_rejects(runtime: Runtime, people: People, trade_agent: str) -> None:
    request = open_trade(runtime, people, trade_agent)
    approvals.decide(runtime, people.a1, request.id, "approve")
    result = approvals.decide(runtime, people.a2, request.id, "reject", "too risky")
    assert result.outcome is DecisionOutcome.REJECTED
    assert (
        approvals.get_request(runtime, people.a3, request.id).request.state is RequestState.REJECTED
    )


def test_queue_lists_what_i_may_decide_oldest_first(
    runtime: Runtime, people: People, trade_agent: str, clock: FixedClock
) -> None:
    first = open_trade(runtime, people, trade_agent, "p1")
    clock.advance(timedelta(seconds=5))
    second = open_trade(runtime, people, trade_agent, "p2")
    assert [d.request.id for d in approvals.queue(runtime, people.a1)] == [first.id, second.id]
    approvals.decide(runtime, people.a1, first.id, "approve")
    assert [d.request.id for d in approvals.queue(runtime, people.a1)] == [second.id]
    assert approvals.queue(runtime, people.owner) == []
    assert approvals.queue(runtime, people.outsider) == []
    assert approvals.queue(runtime, people.escalator) == []
    page = approvals.list_requests(runtime, people.outsider)
    assert page.count == 0 and page.items == []
    mine = approvals.list_requests(runtime, people.a1, kind="trade", state="pending")
    assert [d.request.id for d in mine.items] == [second.id, first.id]
    with pytest.raises(ValidationError):
        approvals.list_requests(runtime, people.a1, state="sideways")


def test_idempotency_key_replays_the_first_result(
    runtime: Runtime, people: People, trade_agent: str
) -> None:
    request = open_trade(runtime, people, trade_agent)
    once = approvals.decide(runtime, people.a1, request.id, "approve", idempotency_key="k-1")
    again = approvals.decide(runtime, people.a1, request.id, "approve", idempotency_key="k-1")
    assert again.replayed and again.outcome is once.outcome
    with pytest.raises(ConflictError, match="different request"):
        approvals.decide(runtime, people.a1, request.id, "reject", "x", idempotency_key="k-1")


def test_short_prefixes_resolve(runtime: Runtime, people: People, trade_agent: str) -> None:
    request = open_trade(runtime, people, trade_agent)
    assert approvals.resolve_ref(runtime, people.a1, request.id[:8]) == request.id
    with pytest.raises(ValidationError, match="at least"):
        approvals.resolve_ref(runtime, people.a1, request.id[:3])
    with pytest.raises(NotFoundError):
        approvals.resolve_ref(runtime, people.outsider, request.id)


@pytest.mark.parametrize("policy", ["auto_reject", "auto_pause"])
def test_timeouts_reject_and_maybe_pause(
    runtime: Runtime, people: People, clock: FixedClock, policy: str
) -> None:
    agent_id = make_agent(runtime, people, timeout_policy=policy)
    promote_to_paper(runtime, people, agent_id)
    request = open_trade(runtime, people, agent_id)
    assert approvals.sweep_timeouts(runtime) == []
    clock.advance(timedelta(minutes=31))
    with pytest.raises(ConflictError, match="timed out"):
        approvals.decide(runtime, people.a1, request.id, "approve")
    changed = approvals.sweep_timeouts(runtime)
    assert [r.state for r in changed] == [RequestState.REJECTED]
    assert approvals.sweep_timeouts(runtime) == []  # idempotent
    paused = agents.get_agent(runtime, people.owner, agent_id).agent.is_paused
    assert paused is (policy == "auto_pause")


def test_escalation_then_reject_after_grace(
    runtime: Runtime, people: People, clock: FixedClock
) -> None:
    agent_id = make_agent(runtime, people, timeout_policy="escalate", escalation_grace_minutes=10)
    promote_to_paper(runtime, people, agent_id)
    request = open_trade(runtime, people, agent_id)
    approvals.decide(runtime, people.a1, request.id, "approve")
    clock.advance(timedelta(minutes=31))
    [escalated] = approvals.sweep_timeouts(runtime)
    assert escalated.escalated and escalated.state is RequestState.PENDING
    assert [d.request.id for d in approvals.queue(runtime, people.escalator)] == [request.id]
    clock.advance(timedelta(minutes=11))
    [closed] = approvals.sweep_timeouts(runtime)
    assert closed.state is RequestState.REJECTED and "grace" in (closed.state_reason or "")


def test_escalation_approver_completes_quorum(
    runtime: Runtime, people: People, clock: FixedClock
) -> None:
    agent_id = make_agent(runtime, people, timeout_policy="escalate")
    promote_to_paper(runtime, people, agent_id)
    request = open_trade(runtime, people, agent_id)
    approvals.decide(runtime, people.a1, request.id, "approve")
    clock.advance(timedelta(minutes=31))
    approvals.sweep_timeouts(runtime)
    result = approvals.decide(runtime, people.escalator, request.id, "approve")
    assert result.outcome is DecisionOutcome.APPROVED


def test_kill_switch_blocks_new_trades_and_execution(
    runtime: Runtime, people: People, trade_agent: str
) -> None:
    request = open_trade(runtime, people, trade_agent)
    approvals.decide(runtime, people.a1, request.id, "approve")
    approvals.decide(runtime, people.a2, request.id, "approve")
    agents.set_global_kill_switch(runtime, people.admin, True, "drill")
    with pytest.raises(ConflictError, match="kill switch"):
        approvals.start_execution(runtime, request.id)
    with pytest.raises(ConflictError, match="kill switch"):
        open_trade(runtime, people, trade_agent, "p2")
    agents.set_global_kill_switch(runtime, people.admin, False)
    moving = approvals.start_execution(runtime, request.id)
    assert moving.state is RequestState.EXECUTING
    with pytest.raises(ConflictError):
        approvals.start_execution(runtime, request.id)
    done = approvals.finish_execution(runtime, request.id, succeeded=True, reason="COMPLETE")
    assert done.state is RequestState.EXECUTED


def test_cancel_by_owner_only(runtime: Runtime, people: People, trade_agent: str) -> None:
    request = open_trade(runtime, people, trade_agent)
    with pytest.raises(PermissionDeniedError):
        approvals.cancel(runtime, people.a1, request.id)
    assert (
        approvals.cancel(runtime, people.owner, request.id, "changed my mind").state
        is RequestState.CANCELED
    )
    with pytest.raises(ConflictError, match="canceled"):
        approvals.cancel(runtime, people.owner, request.id)


def test_racing_approvers_make_one_transition(runtime: Runtime, people: People) -> None:
    """Three approvers (quorum 2) decide at the same instant, 8 rounds: exactly one approval."""
    agent_id = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent_id)
    approved: list[DomainEvent] = []
    runtime.events.subscribe(
        lambda e: (
            approved.append(e)
            if e.data.get("state") == "approved" and e.topic == "approval.decided"
            else None
        )
    )
    for round_ in range(8):
        request = open_trade(runtime, people, agent_id, f"race-{round_}")
        barrier = threading.Barrier(3)
        outcomes: list[object] = []

        def decide(actor: object) -> None:
            barrier.wait()
            try:
                outcomes.append(approvals.decide(runtime, actor, request.id, "approve").outcome)  # type: ignore[arg-type]
            except DeskError as exc:
                outcomes.append(type(exc).__name__)

        threads = [
            threading.Thread(target=decide, args=(a,)) for a in (people.a1, people.a2, people.a3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes.count(DecisionOutcome.APPROVED) == 1, outcomes
        detail = approvals.get_request(runtime, people.owner, request.id)
        assert detail.request.state is RequestState.APPROVED and detail.approvals in (2, 3)
    assert len(approved) == 8
    assert audit.verify(runtime).ok
