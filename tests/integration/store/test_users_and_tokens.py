"""Users, tokens and link codes through the services, on DuckDB and on Postgres."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.bootstrap import Runtime
from desk.domain.clock import FixedClock
from desk.domain.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from desk.domain.users import Actor, Channel, Role
from desk.services import users

ROOT = Actor.system(channel=Channel.CLI, label="cli")


def test_create_and_list_users(runtime: Runtime) -> None:
    alice = users.create_user(runtime, ROOT, "Alice", role="admin", display_name="Alice A")
    bob = users.create_user(runtime, ROOT, "bob")
    assert alice.username == "alice" and alice.role is Role.ADMIN
    assert [u.username for u in users.list_users(runtime, ROOT)] == ["alice", "bob"]
    assert users.get_user(runtime, bob.id) == bob


@pytest.mark.parametrize(
    ("username", "role", "error"),
    [
        ("x", "member", ValidationError),
        ("ok_name", "boss", ValidationError),
        ("a b", "member", ValidationError),
    ],
)
def test_bad_user_input_changes_nothing(
    runtime: Runtime, username: str, role: str, error: type
) -> None:
    with pytest.raises(error):
        users.create_user(runtime, ROOT, username, role=role)
    assert users.list_users(runtime, ROOT) == []
    with runtime.uow(write=False) as uow:
        assert uow.audit.count() == 0


def test_duplicate_username_is_refused(runtime: Runtime) -> None:
    users.create_user(runtime, ROOT, "bob")
    with pytest.raises(AlreadyExistsError, match="already exists"):
        users.create_user(runtime, ROOT, "BOB")


def test_members_cannot_administer(runtime: Runtime) -> None:
    bob = users.create_user(runtime, ROOT, "bob")
    as_bob = Actor.of(bob, Channel.API)
    with pytest.raises(PermissionDeniedError):
        users.create_user(runtime, as_bob, "carol")
    with pytest.raises(PermissionDeniedError):
        users.list_users(runtime, as_bob)
    carol = users.create_user(runtime, ROOT, "carol")
    with pytest.raises(PermissionDeniedError):
        users.create_token(runtime, as_bob, carol.id)


def test_token_lifecycle(runtime: Runtime, clock: FixedClock) -> None:
    bob = users.create_user(runtime, ROOT, "bob")
    issued = users.create_token(runtime, ROOT, "bob", name="laptop", expires_days=1)
    assert issued.plaintext.startswith("desk_") and len(issued.plaintext) > 40
    assert users.authenticate(runtime, issued.plaintext).id == bob.id
    listed = users.list_tokens(runtime, Actor.of(bob, Channel.API))
    assert [t.name for t in listed] == ["laptop"] and listed[0].last_used_at == clock.now()
    users.revoke_token(runtime, Actor.of(bob, Channel.API), issued.token.id)
    with pytest.raises(AuthenticationError):
        users.authenticate(runtime, issued.plaintext)
    with pytest.raises(ConflictError):
        users.revoke_token(runtime, ROOT, issued.token.id)


def test_token_expiry_and_disabled_users(runtime: Runtime, clock: FixedClock) -> None:
    users.create_user(runtime, ROOT, "bob")
    short = users.create_token(runtime, ROOT, "bob", expires_days=1)
    forever = users.create_token(runtime, ROOT, "bob")
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(AuthenticationError):
        users.authenticate(runtime, short.plaintext)
    assert users.authenticate(runtime, forever.plaintext).username == "bob"
    users.set_user_active(runtime, ROOT, "bob", False)
    with pytest.raises(AuthenticationError):
        users.authenticate(runtime, forever.plaintext)
    with pytest.raises(ConflictError):
        users.create_token(runtime, ROOT, "bob")


@pytest.mark.parametrize("bad", ["", "desk_nope", "Bearer x", "desk_" + "a" * 300])
def test_bad_tokens_are_one_vague_error(runtime: Runtime, bad: str) -> None:
    with pytest.raises(AuthenticationError, match="invalid or expired"):
        users.authenticate(runtime, bad)


def test_unknown_users_and_tokens(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        users.create_token(runtime, ROOT, "ghost")
    with pytest.raises(NotFoundError):
        users.revoke_token(runtime, ROOT, "0" * 32)
    with pytest.raises(ValidationError):
        users.create_token(runtime, ROOT, "ghost", expires_days=0)


def test_link_code_is_single_use_and_expires(runtime: Runtime, clock: FixedClock) -> None:
    bob = users.create_user(runtime, ROOT, "bob")
    carol = users.create_user(runtime, ROOT, "carol")
    _, code = users.create_link_code(runtime, Actor.of(bob, Channel.API))
    linked = users.redeem_link_code(runtime, code, 4242)
    assert linked.telegram_chat_id == 4242
    with pytest.raises(ValidationError, match="unknown, used or expired"):
        users.redeem_link_code(runtime, code, 4242)
    _, late = users.create_link_code(runtime, ROOT, "carol")
    clock.advance(timedelta(minutes=16))
    with pytest.raises(ValidationError):
        users.redeem_link_code(runtime, late, 777)
    _, taken = users.create_link_code(runtime, ROOT, "carol")
    with pytest.raises(ConflictError, match="already linked"):
        users.redeem_link_code(runtime, taken, 4242)
    assert users.get_user(runtime, carol.id).telegram_chat_id is None


def test_admin_sets_and_unsets_chat(runtime: Runtime) -> None:
    users.create_user(runtime, ROOT, "bob")
    assert users.set_chat_id(runtime, ROOT, "bob", 99).telegram_chat_id == 99
    assert users.set_chat_id(runtime, ROOT, "bob", None).telegram_chat_id is None


def test_every_change_is_audited(runtime: Runtime) -> None:
    from desk.services import audit

    users.create_user(runtime, ROOT, "bob")
    issued = users.create_token(runtime, ROOT, "bob")
    users.revoke_token(runtime, ROOT, issued.token.id)
    users.set_user_role(runtime, ROOT, "bob", "admin")
    users.set_user_active(runtime, ROOT, "bob", False)
    actions = [e.action for e in reversed(audit.list_events(runtime, ROOT, limit=50).events)]
    assert actions == [
        "user.created",
        "token.created",
        "token.revoked",
        "user.role_changed",
        "user.disabled",
    ]
    assert audit.verify(runtime).ok
