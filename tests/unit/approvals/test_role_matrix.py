"""Each role × each action → allowed / forbidden, as the table in desk.domain.permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desk.domain import permissions as p
from desk.domain.errors import PermissionDeniedError
from desk.domain.permissions import Action
from desk.domain.users import Role

# role -> (user id, global role); the agent fixture has owner "owner", approvers a1..a3,
# escalation approver e1.
ROLES: dict[str, tuple[str | None, Role]] = {
    "admin": ("boss", Role.ADMIN),
    "owner": ("owner", Role.MEMBER),
    "approver": ("a1", Role.MEMBER),
    "escalation": ("e1", Role.MEMBER),
    "member": ("stranger", Role.MEMBER),
    "system": (None, Role.ADMIN),
}

ALLOWED: dict[Action, set[str]] = {
    Action.CREATE_AGENT: {"admin", "owner", "approver", "escalation", "member"},
    Action.EDIT_CONFIG: {"admin", "owner"},
    Action.REQUEST_PROMOTION: {"admin", "owner"},
    Action.DECIDE: {"admin", "owner", "approver", "escalation"},
    Action.CANCEL: {"admin", "owner", "system"},
    Action.PAUSE_RESUME: {"admin", "owner", "system"},
    Action.DEMOTE: {"admin", "owner", "system"},
    Action.TOGGLE_GLOBAL_KILL_SWITCH: {"admin", "system"},
    Action.TOGGLE_AGENT_KILL_SWITCH: {"admin", "owner", "system"},
    Action.VIEW_REQUESTS: {"admin", "owner", "approver", "escalation", "system"},
}

NAMED: dict[Action, Callable[..., bool]] = {
    Action.CREATE_AGENT: lambda actor, agent: p.may_create_agent(actor),
    Action.EDIT_CONFIG: p.may_edit_config,
    Action.REQUEST_PROMOTION: p.may_request_promotion,
    Action.DECIDE: p.may_decide,
    Action.CANCEL: p.may_cancel,
    Action.PAUSE_RESUME: p.may_pause_resume,
    Action.DEMOTE: p.may_demote,
    Action.TOGGLE_GLOBAL_KILL_SWITCH: lambda actor, agent: p.may_toggle_global_kill_switch(actor),
    Action.TOGGLE_AGENT_KILL_SWITCH: p.may_toggle_agent_kill_switch,
    Action.VIEW_REQUESTS: p.may_view_requests,
}


def test_matrix_covers_every_action() -> None:
    assert set(ALLOWED) == set(Action) == set(NAMED)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(ROLES))
def test_role_matrix(
    role: str, action: Action, agent_of: Callable[..., Any], actor_of: Callable[..., Any]
) -> None:
    user_id, global_role = ROLES[role]
    actor = actor_of(user_id, global_role)
    agent = agent_of()
    expected = role in ALLOWED[action]
    assert NAMED[action](actor, agent) is expected
    if expected:
        p.require(action, actor, agent)
    else:
        with pytest.raises(PermissionDeniedError, match=f"may not {action.value}"):
            p.require(action, actor, agent)


def test_admin_who_owns_nothing_still_administers(
    agent_of: Callable[..., Any], actor_of: Callable[..., Any]
) -> None:
    assert p.relations(actor_of("boss", Role.ADMIN), agent_of()) == {p.Relation.ADMIN}
    owner_approver = p.relations(actor_of("a1"), agent_of(owner_id="a1"))
    assert owner_approver == {p.Relation.MEMBER, p.Relation.OWNER, p.Relation.APPROVER}


def test_agent_actions_need_an_agent(actor_of: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="needs an agent"):
        p.may(Action.CANCEL, actor_of("owner"))
