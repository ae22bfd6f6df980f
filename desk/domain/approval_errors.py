"""Errors of the approval and promotion rules (all :class:`DeskError` subclasses)."""

from __future__ import annotations

from desk.domain.errors import ConflictError, PermissionDeniedError


class InvalidTransitionError(ConflictError):
    """The subject's current state does not allow this move; the message names the state."""

    code = "invalid_transition"


class AlreadyDecidedError(ConflictError):
    """This approver already decided the request; the second decision changes nothing."""

    code = "already_decided"


class QuorumNotMetError(ConflictError):
    """The quorum is not (or can no longer be) reached by the eligible approvers."""

    code = "quorum_not_met"


class NotEligibleError(PermissionDeniedError):
    """The actor may not decide this request (not an approver, the proposer, wrong channel)."""

    code = "not_eligible"


class KillSwitchOnError(ConflictError):
    """A kill switch (global or the agent's) is on: nothing may move to execution."""

    code = "kill_switch_on"


class AgentPausedError(ConflictError):
    """The agent is paused: no new runs, proposals or executions until it is resumed."""

    code = "agent_paused"
