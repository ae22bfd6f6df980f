from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from desk.domain.agents import AgentStatus
from desk.domain.approval_errors import (
    AgentPausedError,
    AlreadyDecidedError,
    InvalidTransitionError,
    KillSwitchOnError,
    NotEligibleError,
    QuorumNotMetError,
)
from desk.domain.approvals import (
    ApprovalRequest,
    Decision,
    DecisionOutcome,
    NoticeTopic,
    PauseAgent,
    RequestKind,
    RequestNotice,
    RequestState,
    Verdict,
    apply_decision,
    apply_timeout,
    can_decide,
    cancel,
    eligible_deciders,
    expire,
    finish_execution,
    may_view,
    new_request,
    start_execution,
    tally,
)
from desk.domain.errors import PermissionDeniedError, ValidationError
from desk.domain.users import Channel, Role

T0 = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
Builder = Callable[..., Any]


def vote(
    user: str, verdict: Verdict = Verdict.APPROVE, channel: Channel = Channel.API, at: datetime = T0
) -> Decision:
    return Decision("req-1", user, verdict, None, channel, at)


def run(
    request: ApprovalRequest, *decisions: Decision, prior: Sequence[Decision] = ()
) -> tuple[ApprovalRequest, list[DecisionOutcome], list[Decision]]:
    made: list[Decision] = list(prior)
    outcomes = []
    for d in decisions:
        request, outcome = apply_decision(request, made, d, d.decided_at)
        made.append(d)
        outcomes.append(outcome)
    return request, outcomes, made


def test_snapshot_excludes_proposer_and_adds_owner_and_admins(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    config = config_of(quorum=2, owner_counts_toward_quorum=True, admins_may_decide=True)
    request = request_of(agent_of(), config, proposer_id="a1", admin_ids=("admin",))
    assert request.eligible_approver_ids == ("a1", "a2", "a3", "admin", "owner")
    assert eligible_deciders(request) == {"a2", "a3", "admin", "owner"}
    assert request.escalation_approver_ids == ("e1",)
    assert request.state is RequestState.PENDING and request.version == 1
    assert request.expires_at == T0 + timedelta(minutes=60)


def test_escalation_falls_back_to_admins(request_of: Builder, agent_of: Builder) -> None:
    request = request_of(agent_of(escalation_approver_ids=()), admin_ids=("root", "ops"))
    assert request.escalation_approver_ids == ("ops", "root")


def test_unreachable_quorum_is_refused_at_creation(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    with pytest.raises(QuorumNotMetError, match="only 2 eligible"):
        request_of(agent_of(), config_of(quorum=3), proposer_id="a1")
    # escalation approvers count when the policy escalates
    escalating = config_of(quorum=3, timeout_policy="escalate")
    assert request_of(agent_of(), escalating, proposer_id="a1").quorum == 3


def test_quorum_of_distinct_approvers_approves(request_of: Builder) -> None:
    request, outcomes, made = run(request_of(), vote("a1"), vote("a2"))
    assert outcomes == [DecisionOutcome.RECORDED, DecisionOutcome.APPROVED]
    assert request.state is RequestState.APPROVED
    assert request.decided_at == T0 and request.version == 3
    assert request.state_reason == "approved by 2 of quorum 2"
    assert tally(request, made) == (frozenset({"a1", "a2"}), frozenset())


def test_deciding_twice_is_an_error_that_changes_nothing(request_of: Builder) -> None:
    request, _, made = run(request_of(), vote("a1"))
    with pytest.raises(AlreadyDecidedError, match="already decided this request \\(approve"):
        apply_decision(request, made, vote("a1", Verdict.REJECT), T0)
    assert request.state is RequestState.PENDING and request.version == 2


def test_decision_after_pending_names_the_state(request_of: Builder) -> None:
    request, _, made = run(request_of(), vote("a1"), vote("a2"))
    with pytest.raises(InvalidTransitionError, match="is approved; decisions are closed"):
        apply_decision(request, made, vote("a3"), T0)


def test_any_reject_rejects_by_default(request_of: Builder) -> None:
    request, outcomes, _ = run(request_of(), vote("a1"), vote("a2", Verdict.REJECT))
    assert outcomes[-1] is DecisionOutcome.REJECTED
    assert request.state is RequestState.REJECTED
    assert "reject quorum 1" in (request.state_reason or "")


def test_reject_quorum_and_early_unreachable_rejection(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    agent = agent_of(approver_ids=("a1", "a2", "a3", "a4"))
    config = config_of(approvers=4, quorum=2, reject_quorum=3)
    request, outcomes, made = run(
        request_of(agent, config), vote("a1", Verdict.REJECT), vote("a2", Verdict.REJECT)
    )
    assert outcomes == [DecisionOutcome.RECORDED, DecisionOutcome.RECORDED]
    request, outcomes, _ = run(request, vote("a3", Verdict.REJECT), prior=made)
    assert request.state is RequestState.REJECTED
    # quorum 3 of 4 with reject quorum 4: the second reject makes approval impossible
    config = config_of(approvers=4, quorum=3, reject_quorum=4)
    request, outcomes, _ = run(
        request_of(agent, config), vote("a1", Verdict.REJECT), vote("a2", Verdict.REJECT)
    )
    assert outcomes[-1] is DecisionOutcome.REJECTED
    assert request.state_reason == "quorum 3 can no longer be reached"


def test_separation_of_duties(request_of: Builder, agent_of: Builder, config_of: Builder) -> None:
    request = request_of(proposer_id="a1")
    with pytest.raises(NotEligibleError, match="you proposed this trade"):
        apply_decision(request, [], vote("a1"), T0)
    promo = request_of(kind=RequestKind.CONFIG_PROMOTION, proposer_id="a1")
    with pytest.raises(NotEligibleError, match="config version"):
        apply_decision(promo, [], vote("a1"), T0)
    relaxed = config_of(quorum=1, allow_self_approval=True)
    request = request_of(agent_of(), relaxed, proposer_id="a1")
    assert run(request, vote("a1"))[0].state is RequestState.APPROVED


def test_owner_counts_only_when_configured(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    with pytest.raises(NotEligibleError, match="not an eligible approver"):
        apply_decision(request_of(proposer_id="a1"), [], vote("owner"), T0)
    config = config_of(quorum=2, owner_counts_toward_quorum=True)
    request = request_of(agent_of(), config, proposer_id="a1")
    assert run(request, vote("owner"), vote("a2"))[0].state is RequestState.APPROVED


def test_admins_decide_only_when_allowed(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    with pytest.raises(NotEligibleError):
        apply_decision(request_of(), [], vote("admin"), T0)
    request = request_of(agent_of(), config_of(quorum=2, admins_may_decide=True))
    assert run(request, vote("admin"), vote("a1"))[0].state is RequestState.APPROVED


def test_channel_must_be_enabled(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    request = request_of(agent_of(), config_of(quorum=2, approval_channels=["telegram"]))
    error = can_decide(request, [], "a1", Channel.DASHBOARD, T0)
    assert isinstance(error, NotEligibleError) and "dashboard" in error.message
    assert isinstance(can_decide(request, [], "a1", Channel.SYSTEM, T0), NotEligibleError)
    assert can_decide(request, [], "a1", Channel.TELEGRAM, T0) is None
    api_request = request_of()
    assert can_decide(api_request, [], "a1", Channel.CLI, T0) is None  # the CLI is an API client


def test_system_and_strangers_never_decide(request_of: Builder) -> None:
    request = request_of()
    assert "system never decides" in str(can_decide(request, [], None, Channel.API, T0))
    assert "not an eligible" in str(can_decide(request, [], "mallory", Channel.API, T0))
    with pytest.raises(ValidationError):
        apply_decision(request, [], replace(vote("a1"), request_id="other"), T0)
    with pytest.raises(ValidationError, match="reason"):
        apply_decision(request, [], replace(vote("a1"), reason="x" * 1001), T0)


def test_decisions_after_the_deadline_wait_for_the_sweeper(request_of: Builder) -> None:
    request = request_of()
    late = T0 + timedelta(minutes=60)
    with pytest.raises(InvalidTransitionError, match="timed out"):
        apply_decision(request, [], vote("a1", at=late), late)


def test_auto_reject(request_of: Builder) -> None:
    request = request_of()
    assert apply_timeout(request, T0 + timedelta(minutes=59)) == (request, ())
    done, effects = apply_timeout(request, T0 + timedelta(minutes=60))
    assert done.state is RequestState.REJECTED and done.version == 2
    assert done.state_reason == "timed out (auto_reject)"
    assert [type(e) for e in effects] == [RequestNotice]
    assert apply_timeout(done, T0 + timedelta(days=1)) == (done, ())  # idempotent


def test_auto_pause_rejects_and_pauses(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    request = request_of(agent_of(), config_of(quorum=2, timeout_policy="auto_pause"))
    done, effects = apply_timeout(request, T0 + timedelta(hours=2))
    assert done.state is RequestState.REJECTED
    pauses = [e for e in effects if isinstance(e, PauseAgent)]
    assert pauses == [PauseAgent("agent-1", "request req-1 timed out (auto_pause)")]


def test_escalate_then_reject_after_grace(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    config = config_of(quorum=2, timeout_policy="escalate", escalation_grace_minutes=10)
    request, _, made = run(request_of(agent_of(), config), vote("a1"))
    with pytest.raises(NotEligibleError, match="only once the request is escalated"):
        apply_decision(request, made, vote("e1"), T0)
    late = T0 + timedelta(minutes=65)
    escalated, effects = apply_timeout(request, late)
    assert escalated.state is RequestState.PENDING and escalated.escalated
    assert escalated.escalated_at == late
    assert escalated.expires_at == late + timedelta(minutes=10)
    assert effects == (
        RequestNotice(
            NoticeTopic.ESCALATED,
            "req-1",
            "agent-1",
            RequestKind.TRADE,
            RequestState.PENDING,
            ("e1",),
        ),
    )
    assert apply_timeout(escalated, late) == (escalated, ())
    approved, _, _ = run(escalated, vote("e1", at=late), prior=made)
    assert approved.state is RequestState.APPROVED
    final, _ = apply_timeout(escalated, late + timedelta(minutes=10))
    assert final.state is RequestState.REJECTED
    assert final.state_reason == "no quorum within the escalation grace period"


def test_escalate_with_no_one_to_escalate_to_rejects(
    request_of: Builder, agent_of: Builder, config_of: Builder
) -> None:
    config = config_of(quorum=1, timeout_policy="escalate")
    request = request_of(agent_of(escalation_approver_ids=()), config, admin_ids=())
    done, _ = apply_timeout(request, T0 + timedelta(hours=1))
    assert done.state is RequestState.REJECTED and "no one to escalate to" in (
        done.state_reason or ""
    )


def test_cancel_by_owner_admin_or_system(
    request_of: Builder, agent_of: Builder, actor_of: Builder
) -> None:
    agent, request = agent_of(), request_of()
    with pytest.raises(PermissionDeniedError):
        cancel(request, actor_of("a1"), agent, T0)
    done, effects = cancel(request, actor_of("owner"), agent, T0, "changed my mind")
    assert done.state is RequestState.CANCELED
    assert done.state_reason == "canceled by owner: changed my mind"
    assert effects[0].topic is NoticeTopic.CANCELED  # type: ignore[union-attr]
    with pytest.raises(InvalidTransitionError, match="it is canceled"):
        cancel(done, actor_of("admin", Role.ADMIN), agent, T0)
    assert cancel(request, actor_of(None), agent, T0)[0].state is RequestState.CANCELED


def test_approved_trade_may_be_canceled_but_not_a_promotion(
    request_of: Builder, agent_of: Builder, actor_of: Builder
) -> None:
    trade, _, _ = run(request_of(), vote("a1"), vote("a2"))
    assert cancel(trade, actor_of("owner"), agent_of(), T0)[0].state is RequestState.CANCELED
    promo, _, _ = run(request_of(kind=RequestKind.CONFIG_PROMOTION), vote("a1"), vote("a2"))
    assert promo.is_final()
    with pytest.raises(InvalidTransitionError):
        cancel(promo, actor_of("owner"), agent_of(), T0)


def test_execution_hand_off(request_of: Builder, agent_of: Builder) -> None:
    agent = agent_of()
    pending = request_of()
    with pytest.raises(InvalidTransitionError, match="it is pending"):
        start_execution(pending, agent, global_kill_switch=False, now=T0)
    approved, _, _ = run(pending, vote("a1"), vote("a2"))
    with pytest.raises(KillSwitchOnError, match="global"):
        start_execution(approved, agent, global_kill_switch=True, now=T0)
    with pytest.raises(KillSwitchOnError, match="agent 'momentum'"):
        start_execution(approved, agent_of(kill_switch=True), global_kill_switch=False, now=T0)
    paused = agent_of(status=AgentStatus.PAUSED, pause_reason="drawdown")
    with pytest.raises(AgentPausedError, match="drawdown"):
        start_execution(approved, paused, global_kill_switch=False, now=T0)
    executing = start_execution(approved, agent, global_kill_switch=False, now=T0)
    assert executing.state is RequestState.EXECUTING
    with pytest.raises(InvalidTransitionError, match="it is executing"):
        start_execution(executing, agent, global_kill_switch=False, now=T0)
    done, effects = finish_execution(executing, succeeded=False, now=T0, reason="broker said no")
    assert done.state is RequestState.FAILED and done.state_reason == "broker said no"
    assert [e.topic for e in effects if isinstance(e, RequestNotice)] == [NoticeTopic.FAILED]
    assert done.is_final()
    with pytest.raises(InvalidTransitionError):
        finish_execution(done, succeeded=True, now=T0)


def test_promotions_are_not_executed(request_of: Builder, agent_of: Builder) -> None:
    promo, _, _ = run(request_of(kind=RequestKind.CONFIG_PROMOTION), vote("a1"), vote("a2"))
    with pytest.raises(InvalidTransitionError, match="applied on approval"):
        start_execution(promo, agent_of(), global_kill_switch=False, now=T0)


def test_trade_requests_refused_while_killed_or_paused(
    agent_of: Builder, config_of: Builder
) -> None:
    def create(agent: Any, killed: bool = False, kind: RequestKind = RequestKind.TRADE) -> Any:
        return new_request(
            request_id="r",
            kind=kind,
            agent=agent,
            config=config_of(),
            subject_id="s",
            proposer_id="owner",
            admin_ids=(),
            global_kill_switch=killed,
            now=T0,
        )

    with pytest.raises(KillSwitchOnError, match="global"):
        create(agent_of(), killed=True)
    with pytest.raises(KillSwitchOnError):
        create(agent_of(kill_switch=True))
    with pytest.raises(AgentPausedError):
        create(agent_of(status=AgentStatus.PAUSED))
    assert (
        create(agent_of(status=AgentStatus.PAUSED), kind=RequestKind.CONFIG_PROMOTION).state
        == "pending"
    )


def test_expire_is_for_pending_only(request_of: Builder) -> None:
    done = expire(request_of(), T0, "session closed")
    assert done.state is RequestState.EXPIRED and done.is_final()
    with pytest.raises(InvalidTransitionError):
        expire(done, T0, "again")


def test_visibility(request_of: Builder, agent_of: Builder, actor_of: Builder) -> None:
    agent = agent_of()
    request = request_of(proposer_id="analyst")
    assert may_view(request, actor_of("a1"), agent)
    assert may_view(request, actor_of("analyst"), agent)
    assert may_view(request, actor_of("boss", Role.ADMIN), agent)
    assert not may_view(request, actor_of("stranger"), agent)


def test_two_deciders_racing_on_the_same_version_conflict(request_of: Builder) -> None:
    """Both see version 1 and one prior decision set; the store's conditional update on
    ``version`` lets only one win, and the loser's retry completes the quorum exactly once."""
    base = request_of()
    first, out1 = apply_decision(base, [], vote("a1"), T0)
    second, out2 = apply_decision(base, [], vote("a2"), T0)
    assert first.version == second.version == 2  # same target version: only one update wins
    assert out1 is out2 is DecisionOutcome.RECORDED
    retry, outcome = apply_decision(first, [vote("a1")], vote("a2"), T0)
    assert outcome is DecisionOutcome.APPROVED and retry.version == 3
