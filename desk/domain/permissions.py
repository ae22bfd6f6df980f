"""Who may do what to an agent (pure). One table, read by every entrypoint through services.

An actor's *relations* to an agent: ``admin`` (global role), ``owner``, ``approver``
(assigned), ``escalation_approver``, ``system`` (``Actor.system()``, e.g. the timeout
sweeper), or none of these (a plain member).

| action                      | admin | owner | approver | escalation | member | system |
|-----------------------------|:-----:|:-----:|:--------:|:----------:|:------:|:------:|
| create agent                |   ✓   |  n/a  |   n/a    |    n/a     |   ✓    |        |
| edit config (new version)   |   ✓   |   ✓   |          |            |        |        |
| request promotion           |   ✓   |   ✓   |          |            |        |        |
| decide (coarse gate)        |   ✓   |   ✓   |    ✓     |     ✓      |        |        |
| cancel a request            |   ✓   |   ✓   |          |            |        |   ✓    |
| pause / resume the agent    |   ✓   |   ✓   |          |            |        |   ✓    |
| demote live → paper         |   ✓   |   ✓   |          |            |        |   ✓    |
| toggle the global kill sw.  |   ✓   |  n/a  |   n/a    |    n/a     |        |   ✓    |
| toggle the agent kill sw.   |   ✓   |   ✓   |          |            |        |   ✓    |
| view the agent's requests   |   ✓   |   ✓   |    ✓     |     ✓      |        |   ✓    |

"decide" here is only the coarse gate; whether a user may decide a given request (eligibility
snapshot, separation of duties, escalation, channel) is :func:`desk.domain.approvals.can_decide`.
The system never decides. A member with no relation cannot see the agent's requests.
"""

from __future__ import annotations

from enum import StrEnum

from desk.domain.agents import Agent
from desk.domain.errors import PermissionDeniedError
from desk.domain.users import Actor


class Action(StrEnum):
    CREATE_AGENT = "create agents"
    EDIT_CONFIG = "edit the config"
    REQUEST_PROMOTION = "request a promotion"
    DECIDE = "decide requests"
    CANCEL = "cancel requests"
    PAUSE_RESUME = "pause or resume the agent"
    DEMOTE = "demote the live config"
    TOGGLE_GLOBAL_KILL_SWITCH = "toggle the global kill switch"
    TOGGLE_AGENT_KILL_SWITCH = "toggle the agent's kill switch"
    VIEW_REQUESTS = "view the agent's requests"


class Relation(StrEnum):
    ADMIN = "admin"
    OWNER = "owner"
    APPROVER = "approver"
    ESCALATION_APPROVER = "escalation approver"
    MEMBER = "member"
    SYSTEM = "system"


_A, _O, _P, _E, _M, _S = (
    Relation.ADMIN,
    Relation.OWNER,
    Relation.APPROVER,
    Relation.ESCALATION_APPROVER,
    Relation.MEMBER,
    Relation.SYSTEM,
)

RULES: dict[Action, frozenset[Relation]] = {
    Action.CREATE_AGENT: frozenset({_A, _M}),
    Action.EDIT_CONFIG: frozenset({_A, _O}),
    Action.REQUEST_PROMOTION: frozenset({_A, _O}),
    Action.DECIDE: frozenset({_A, _O, _P, _E}),
    Action.CANCEL: frozenset({_A, _O, _S}),
    Action.PAUSE_RESUME: frozenset({_A, _O, _S}),
    Action.DEMOTE: frozenset({_A, _O, _S}),
    Action.TOGGLE_GLOBAL_KILL_SWITCH: frozenset({_A, _S}),
    Action.TOGGLE_AGENT_KILL_SWITCH: frozenset({_A, _O, _S}),
    Action.VIEW_REQUESTS: frozenset({_A, _O, _P, _E, _S}),
}

_GLOBAL_ACTIONS = frozenset({Action.CREATE_AGENT, Action.TOGGLE_GLOBAL_KILL_SWITCH})


def relations(actor: Actor, agent: Agent | None) -> frozenset[Relation]:
    if actor.user_id is None:
        return frozenset({Relation.SYSTEM})
    found = {Relation.ADMIN if actor.is_admin else Relation.MEMBER}
    if agent is not None:
        if actor.user_id == agent.owner_id:
            found.add(Relation.OWNER)
        if actor.user_id in agent.approver_ids:
            found.add(Relation.APPROVER)
        if actor.user_id in agent.escalation_approver_ids:
            found.add(Relation.ESCALATION_APPROVER)
    return frozenset(found)


def may(action: Action, actor: Actor, agent: Agent | None = None) -> bool:
    if agent is None and action not in _GLOBAL_ACTIONS:
        raise ValueError(f"{action.name} needs an agent")
    return bool(RULES[action] & relations(actor, agent))


def require(action: Action, actor: Actor, agent: Agent | None = None) -> None:
    """Raise PermissionDeniedError naming who may, when ``actor`` may not."""
    if may(action, actor, agent):
        return
    who = ", ".join(r.value for r in sorted(RULES[action]) if r is not Relation.SYSTEM)
    where = f" of agent {agent.name!r}" if agent is not None else ""
    raise PermissionDeniedError(f"{actor.label} may not {action.value}{where}; allowed: {who}")


def may_create_agent(actor: Actor) -> bool:
    return may(Action.CREATE_AGENT, actor)


def may_edit_config(actor: Actor, agent: Agent) -> bool:
    return may(Action.EDIT_CONFIG, actor, agent)


def may_request_promotion(actor: Actor, agent: Agent) -> bool:
    return may(Action.REQUEST_PROMOTION, actor, agent)


def may_decide(actor: Actor, agent: Agent) -> bool:
    return may(Action.DECIDE, actor, agent)


def may_cancel(actor: Actor, agent: Agent) -> bool:
    return may(Action.CANCEL, actor, agent)


def may_pause_resume(actor: Actor, agent: Agent) -> bool:
    return may(Action.PAUSE_RESUME, actor, agent)


def may_demote(actor: Actor, agent: Agent) -> bool:
    return may(Action.DEMOTE, actor, agent)


def may_toggle_global_kill_switch(actor: Actor) -> bool:
    return may(Action.TOGGLE_GLOBAL_KILL_SWITCH, actor)


def may_toggle_agent_kill_switch(actor: Actor, agent: Agent) -> bool:
    return may(Action.TOGGLE_AGENT_KILL_SWITCH, actor, agent)


def may_view_requests(actor: Actor, agent: Agent) -> bool:
    return may(Action.VIEW_REQUESTS, actor, agent)
