"""Hypothesis state machine over one approval request and its agent.

Random users (eligible or not, the proposer, escalation approvers, admins, strangers and the
system) decide, decide twice, race, cancel; the clock jumps and the sweeper runs; kill switches
and pause flip; execution starts and finishes. The invariants are checked after every step
against an eligibility model computed independently from the agent and its config.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from desk.domain.agent_config import parse_agent_config
from desk.domain.agents import Agent, AgentConfig, AgentStatus
from desk.domain.approvals import (
    FINAL_STATES,
    ApprovalRequest,
    Decision,
    DecisionOutcome,
    RequestKind,
    RequestState,
    Verdict,
    apply_decision,
    apply_timeout,
    cancel,
    finish_execution,
    new_request,
    start_execution,
)
from desk.domain.errors import DeskError
from desk.domain.users import Actor, Channel, Role

T0 = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
APPROVERS = ("a1", "a2", "a3")
ESCALATION = ("e1", "e2")
ADMINS = ("admin",)
USERS = ("owner", *APPROVERS, *ESCALATION, *ADMINS, "stranger")
CHANNELS = (Channel.API, Channel.DASHBOARD, Channel.TELEGRAM, Channel.CLI, Channel.SYSTEM)
APPROVED_LINE = {
    RequestState.APPROVED,
    RequestState.EXECUTING,
    RequestState.EXECUTED,
    RequestState.FAILED,
}


def actor(user: str | None) -> Actor:
    if user is None:
        return Actor.system()
    role = Role.ADMIN if user in ADMINS else Role.MEMBER
    return Actor(user_id=user, role=role, channel=Channel.API, label=user)


class ApprovalMachine(RuleBasedStateMachine):
    request: ApprovalRequest
    config: AgentConfig
    agent: Agent

    @initialize(
        kind=st.sampled_from(RequestKind),
        proposer=st.sampled_from(("a1", "owner", "a2", "e1", "admin")),
        quorum=st.integers(1, 3),
        reject_quorum=st.integers(1, 3),
        policy=st.sampled_from(("auto_reject", "auto_pause", "escalate")),
        owner_counts=st.booleans(),
        admins=st.booleans(),
        self_ok=st.booleans(),
        channels=st.lists(
            st.sampled_from(("api", "dashboard", "telegram")), min_size=1, unique=True
        ),
    )
    def setup(
        self,
        kind: RequestKind,
        proposer: str,
        quorum: int,
        reject_quorum: int,
        policy: str,
        owner_counts: bool,
        admins: bool,
        self_ok: bool,
        channels: list[str],
    ) -> None:
        self.config = parse_agent_config(
            {
                "model": "m/x",
                "system_prompt": "p",
                "universe": ["NSE:INFY"],
                "quorum": quorum,
                "reject_quorum": reject_quorum,
                "timeout_policy": policy,
                "owner_counts_toward_quorum": owner_counts,
                "admins_may_decide": admins,
                "allow_self_approval": self_ok,
                "approval_channels": channels,
                "approval_timeout_minutes": 30,
                "escalation_grace_minutes": 10,
            },
            assigned_approvers=len(APPROVERS),
            allowed_tools=(),
            cron_validator=lambda _: None,
        )
        self.agent = Agent(
            "agent-1", "m", "owner", APPROVERS, ESCALATION, AgentStatus.ACTIVE, None, False, T0
        )
        self.global_kill = False
        self.now = T0
        self.proposer = proposer
        try:
            self.request = new_request(
                request_id="req-1",
                kind=kind,
                agent=self.agent,
                config=self.config,
                subject_id="s",
                proposer_id=proposer,
                admin_ids=ADMINS,
                global_kill_switch=False,
                now=T0,
            )
        except DeskError:
            # the quorum is unreachable for this proposer: nothing to explore
            self.request = new_request(
                request_id="req-1",
                kind=kind,
                agent=self.agent,
                config=self.config,
                subject_id="s",
                proposer_id="stranger",
                admin_ids=ADMINS,
                global_kill_switch=False,
                now=T0,
            )
            self.proposer = "stranger"
        self.decisions: list[Decision] = []
        self.history: list[RequestState] = [self.request.state]
        self.versions: list[int] = [self.request.version]
        self.handoffs = 0

    # --- the model --------------------------------------------------------------------

    def counting(self) -> set[str]:
        """Who counts now, computed from the agent and config, not from the request."""
        ids = set(APPROVERS)
        if self.config.owner_counts_toward_quorum:
            ids.add("owner")
        if self.config.admins_may_decide:
            ids |= set(ADMINS)
        if self.request.escalated:
            ids |= set(ESCALATION)
        if not self.config.allow_self_approval:
            ids.discard(self.proposer)
        return ids

    def approvers_who_approved(self) -> set[str]:
        return {d.approver_id for d in self.decisions if d.decision is Verdict.APPROVE}

    def commit(self, new: ApprovalRequest) -> None:
        self.request = new
        self.history.append(new.state)
        self.versions.append(new.version)

    # --- rules -------------------------------------------------------------------------

    @rule(
        user=st.sampled_from(USERS),
        verdict=st.sampled_from(Verdict),
        channel=st.sampled_from(CHANNELS),
    )
    def decide(self, user: str, verdict: Verdict, channel: Channel) -> None:
        before = self.request
        decision = Decision("req-1", user, verdict, None, channel, self.now)
        already = any(d.approver_id == user for d in self.decisions)
        try:
            new, outcome = apply_decision(before, self.decisions, decision, self.now)
        except DeskError:
            assert self.request == before
            return
        assert not already, "an approver decided twice"
        assert before.state is RequestState.PENDING and self.now < before.expires_at
        assert user in self.counting(), f"{user} decided but does not count"
        self.decisions.append(decision)
        self.commit(new)
        if outcome is DecisionOutcome.APPROVED:
            assert new.state is RequestState.APPROVED

    @rule(
        user=st.sampled_from(("owner", *APPROVERS, *ESCALATION, *ADMINS)),
        verdict=st.sampled_from((Verdict.APPROVE,) * 3 + (Verdict.REJECT,)),
    )
    def decide_on_an_enabled_channel(self, user: str, verdict: Verdict) -> None:
        self.decide(user, verdict, self.request.approval_channels[0])

    @rule()
    def proposer_tries_to_decide(self) -> None:
        self.decide(self.proposer, Verdict.APPROVE, self.request.approval_channels[-1])

    @rule(first=st.sampled_from(APPROVERS), second=st.sampled_from(APPROVERS))
    def race(self, first: str, second: str) -> None:
        """Two deciders read the same version; the conditional update admits one, the other
        retries on the new state (what the store does)."""
        base, seen = self.request, list(self.decisions)
        results = []
        for user in (first, second):
            d = Decision("req-1", user, Verdict.APPROVE, None, Channel.API, self.now)
            with contextlib.suppress(DeskError):
                results.append((d, apply_decision(base, seen, d, self.now)[0]))
        if len(results) == 2:
            assert results[0][1].version == results[1][1].version  # they conflict
        if results:
            d, winner = results[0]
            self.decisions.append(d)
            self.commit(winner)
        if len(results) == 2:
            loser = results[1][0]
            try:
                new, _ = apply_decision(self.request, self.decisions, loser, self.now)
            except DeskError:
                return
            self.decisions.append(loser)
            self.commit(new)

    @rule(user=st.sampled_from((*USERS, None)))
    def cancel_request(self, user: str | None) -> None:
        before = self.request
        try:
            new, _ = cancel(before, actor(user), self.agent, self.now)
        except DeskError:
            assert self.request == before
            return
        assert user in (None, "owner", *ADMINS)
        assert before.state in (RequestState.PENDING, RequestState.APPROVED)
        self.commit(new)

    @rule(minutes=st.integers(0, 45))
    def clock_jump(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def sweep(self) -> None:
        before = self.request
        new, effects = apply_timeout(before, self.now)
        again, more = apply_timeout(new, self.now)
        if new.state is RequestState.PENDING and new.escalated and not before.escalated:
            assert again == new and more == ()  # a second sweeper finds nothing to do
        if new is before:
            assert effects == ()
            return
        assert before.state is RequestState.PENDING and self.now >= before.expires_at
        assert new.state in (RequestState.PENDING, RequestState.REJECTED)
        self.commit(new)
        if new.state is RequestState.REJECTED:
            assert again is new and more == ()

    @rule(on=st.booleans(), agent_level=st.booleans())
    def kill_switch(self, on: bool, agent_level: bool) -> None:
        if agent_level:
            self.agent = replace(self.agent, kill_switch=on)
        else:
            self.global_kill = on

    @rule(paused=st.booleans())
    def pause(self, paused: bool) -> None:
        status = AgentStatus.PAUSED if paused else AgentStatus.ACTIVE
        self.agent = replace(self.agent, status=status)

    @rule()
    def start(self) -> None:
        before = self.request
        try:
            new = start_execution(
                before, self.agent, global_kill_switch=self.global_kill, now=self.now
            )
        except DeskError:
            assert self.request == before
            return
        assert not self.global_kill and not self.agent.kill_switch and not self.agent.is_paused
        assert before.kind is RequestKind.TRADE and before.state is RequestState.APPROVED
        self.handoffs += 1
        self.commit(new)

    @rule(ok=st.booleans())
    def finish(self, ok: bool) -> None:
        before = self.request
        try:
            new, _ = finish_execution(before, succeeded=ok, now=self.now)
        except DeskError:
            assert self.request == before
            return
        assert before.state is RequestState.EXECUTING
        self.commit(new)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def approved_only_with_quorum(self) -> None:
        if self.request.state in APPROVED_LINE:
            votes = self.approvers_who_approved() & self.counting()
            assert len(votes) >= self.config.quorum

    @invariant()
    def proposer_never_counts(self) -> None:
        if not self.config.allow_self_approval:
            assert all(d.approver_id != self.proposer for d in self.decisions)

    @invariant()
    def one_decision_per_approver(self) -> None:
        ids = [d.approver_id for d in self.decisions]
        assert len(ids) == len(set(ids))

    @invariant()
    def never_both_approved_and_rejected(self) -> None:
        seen = set(self.history)
        assert not (seen & APPROVED_LINE and RequestState.REJECTED in seen)

    @invariant()
    def final_states_never_change(self) -> None:
        for i, state in enumerate(self.history):
            if state in FINAL_STATES:
                assert set(self.history[i:]) == {state}
                break

    @invariant()
    def versions_only_grow(self) -> None:
        assert all(a < b for a, b in zip(self.versions, self.versions[1:], strict=False))

    @invariant()
    def one_hand_off(self) -> None:
        assert self.handoffs <= 1
        executing = {RequestState.EXECUTING, RequestState.EXECUTED, RequestState.FAILED}
        assert self.handoffs == (1 if executing & set(self.history) else 0)
        if self.request.kind is RequestKind.CONFIG_PROMOTION:
            assert self.handoffs == 0

    def teardown(self) -> None:
        escalated = " (escalated)" if self.request.escalated else ""
        event(f"{self.request.kind.value} ended {self.request.state.value}{escalated}")


ApprovalMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None
)
TestApprovalMachine = ApprovalMachine.TestCase
