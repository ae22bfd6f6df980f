"""Users, API tokens and Telegram link codes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from desk.domain.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from desk.domain.users import (
    TOKEN_PREFIX,
    Actor,
    ApiToken,
    LinkCode,
    User,
    validate_display_name,
    validate_role,
    validate_token_name,
    validate_username,
)
from desk.services import audit
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import Once, once

LINK_CODE_TTL = timedelta(minutes=15)
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
MAX_TOKEN_DAYS = 3650


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError(f"only admins may {what}")


def _find_user(uow: UnitOfWork, ref: str) -> User:
    """A user by id or username."""
    user = uow.users.get(ref) or uow.users.get_by_username(ref.strip().lower())
    if user is None:
        raise NotFoundError(f"no user {ref!r}", fields={"user": "unknown user"})
    return user


def get_user(ctx: Context, ref: str) -> User:
    with ctx.uow(write=False) as uow:
        return _find_user(uow, ref)


def create_user(
    ctx: Context,
    actor: Actor,
    username: str,
    *,
    role: str = "member",
    display_name: str | None = None,
    idempotency_key: str | None = None,
) -> User:
    """A replayed ``idempotency_key`` returns the user it created."""
    require_admin(actor, "create users")
    name = validate_username(username)
    user = User(
        id=ctx.ids.new_id(),
        username=name,
        display_name=validate_display_name(display_name, name),
        role=validate_role(role),
        is_active=True,
        telegram_chat_id=None,
        created_at=ctx.clock.now(),
    )

    def work(uow: UnitOfWork) -> User:
        if uow.users.get_by_username(name) is not None:
            raise AlreadyExistsError(f"user {name!r} already exists", fields={"username": "taken"})
        uow.users.add(user)
        audit.record(
            ctx,
            uow,
            actor,
            "user.created",
            subject_type="user",
            subject_id=user.id,
            payload={"username": name, "role": user.role.value},
        )
        return user

    request = {"username": name, "role": user.role.value, "display_name": display_name}
    return once(ctx, actor, idempotency_key, _CREATE_USER, request=request, work=work).value


def _replay_user(uow: UnitOfWork, stored: dict[str, Any], _request: object) -> User:
    return _find_user(uow, stored["user_id"])


_CREATE_USER: Once[User] = Once(
    "user.create", record=lambda user: {"user_id": user.id}, replay=_replay_user
)


def list_users(ctx: Context, actor: Actor) -> list[User]:
    require_admin(actor, "list users")
    with ctx.uow(write=False) as uow:
        return uow.users.list()


def set_user_active(ctx: Context, actor: Actor, ref: str, active: bool) -> User:
    require_admin(actor, "enable or disable users")
    with ctx.uow() as uow:
        user = _find_user(uow, ref)
        if user.id == actor.user_id and not active:
            raise ConflictError("you cannot disable yourself", fields={"user": "is you"})
        if user.is_active == active:
            return user
        uow.users.set_active(user.id, active, ctx.clock.now())
        audit.record(
            ctx,
            uow,
            actor,
            "user.enabled" if active else "user.disabled",
            subject_type="user",
            subject_id=user.id,
            payload={"username": user.username},
        )
        uow.commit()
        return _find_user(uow, user.id)


def set_user_role(ctx: Context, actor: Actor, ref: str, role: str) -> User:
    require_admin(actor, "change roles")
    new_role = validate_role(role)
    with ctx.uow() as uow:
        user = _find_user(uow, ref)
        if user.role is new_role:
            return user
        uow.users.set_role(user.id, new_role.value, ctx.clock.now())
        audit.record(
            ctx,
            uow,
            actor,
            "user.role_changed",
            subject_type="user",
            subject_id=user.id,
            payload={"username": user.username, "from": user.role.value, "to": new_role.value},
        )
        uow.commit()
        return _find_user(uow, user.id)


# --- API tokens ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """The plaintext is shown once, here, and never stored."""

    token: ApiToken
    plaintext: str


def create_token(
    ctx: Context,
    actor: Actor,
    user_ref: str,
    *,
    name: str = "default",
    expires_days: int | None = None,
    idempotency_key: str | None = None,
) -> IssuedToken:
    """A new token; its plaintext is returned once. A replayed ``idempotency_key`` returns
    the same token and plaintext (kept encrypted with the vault's keys for the replay)."""
    token_name = validate_token_name(name)
    if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise ValidationError(
            f"expires_days must be 1-{MAX_TOKEN_DAYS}", fields={"expires_days": "out of range"}
        )
    now = ctx.clock.now()

    def work(uow: UnitOfWork) -> IssuedToken:
        user = _find_user(uow, user_ref)
        if user.id != actor.user_id:
            require_admin(actor, "create tokens for other users")
        if not user.is_active:
            raise ConflictError(f"user {user.username!r} is disabled", fields={"user": "disabled"})
        plaintext = TOKEN_PREFIX + ctx.ids.new_token(32)
        token = ApiToken(
            id=ctx.ids.new_id(),
            user_id=user.id,
            name=token_name,
            display_prefix=plaintext[: len(TOKEN_PREFIX) + 4],
            created_at=now,
            last_used_at=None,
            revoked_at=None,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
        uow.tokens.add(token, hash_secret(plaintext))
        audit.record(
            ctx,
            uow,
            actor,
            "token.created",
            subject_type="api_token",
            subject_id=token.id,
            payload={"user_id": user.id, "name": token_name, "expires_at": token.expires_at},
        )
        return IssuedToken(token, plaintext)

    def replay(uow: UnitOfWork, stored: dict[str, Any], _request: object) -> IssuedToken:
        token = uow.tokens.get(stored["token_id"])
        if token is None:
            raise NotFoundError("the token this Idempotency-Key created is gone")
        return IssuedToken(token, ctx.cipher.decrypt(stored["secret"]))

    command: Once[IssuedToken] = Once(
        "token.create",
        record=lambda issued: {
            "token_id": issued.token.id,
            "secret": ctx.cipher.encrypt(issued.plaintext),
        },
        replay=replay,
    )
    request = {"user": user_ref, "name": token_name, "expires_days": expires_days}
    return once(ctx, actor, idempotency_key, command, request=request, work=work).value


def list_tokens(ctx: Context, actor: Actor, user_ref: str | None = None) -> list[ApiToken]:
    with ctx.uow(write=False) as uow:
        if user_ref is None:
            if actor.is_admin:
                return uow.tokens.list_for_user(None)
            return uow.tokens.list_for_user(actor.user_id)
        user = _find_user(uow, user_ref)
        if user.id != actor.user_id:
            require_admin(actor, "list other users' tokens")
        return uow.tokens.list_for_user(user.id)


def revoke_token(ctx: Context, actor: Actor, token_id: str) -> ApiToken:
    with ctx.uow() as uow:
        token = uow.tokens.get(token_id.strip())
        if token is None:
            raise NotFoundError(f"no token {token_id!r}", fields={"token_id": "unknown token"})
        if token.user_id != actor.user_id:
            require_admin(actor, "revoke other users' tokens")
        if token.revoked_at is not None:
            raise ConflictError("token is already revoked", fields={"token_id": "revoked"})
        uow.tokens.revoke(token.id, ctx.clock.now())
        audit.record(
            ctx,
            uow,
            actor,
            "token.revoked",
            subject_type="api_token",
            subject_id=token.id,
            payload={"user_id": token.user_id},
        )
        uow.commit()
        revoked = uow.tokens.get(token.id)
    assert revoked is not None
    return revoked


def authenticate(ctx: Context, presented: str) -> User:
    """The active user owning a live token. Every failure is the same vague error."""
    failure = AuthenticationError("invalid or expired API token")
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        raise failure
    now = ctx.clock.now()
    digest = hash_secret(presented)
    with ctx.uow(write=False) as uow:
        found = uow.tokens.find_with_user(digest)
    if found is None:
        raise failure
    token, user = found
    if not token.is_usable(now) or not user.is_active:
        raise failure
    stale = token.last_used_at is None or token.last_used_at < now - TOKEN_TOUCH_INTERVAL
    if stale:
        with ctx.uow() as uow:
            uow.tokens.touch(token.id, now, older_than=now - TOKEN_TOUCH_INTERVAL)
            uow.commit()
    return user


# --- Telegram link codes ----------------------------------------------------------------


def create_link_code(
    ctx: Context, actor: Actor, user_ref: str | None = None
) -> tuple[LinkCode, str]:
    """A one-time code the user sends to the bot as ``/start <code>``."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        user = _find_user(uow, user_ref) if user_ref else None
        if user is None:
            if actor.user_id is None:
                raise ValidationError("say which user the code is for", fields={"user": "required"})
            user = _find_user(uow, actor.user_id)
        if user.id != actor.user_id:
            require_admin(actor, "create link codes for other users")
        plaintext = ctx.ids.new_token(9).replace("-", "x").replace("_", "y")[:12]
        code = LinkCode(
            id=ctx.ids.new_id(),
            user_id=user.id,
            created_at=now,
            expires_at=now + LINK_CODE_TTL,
            used_at=None,
        )
        uow.link_codes.add(code, hash_secret(plaintext))
        audit.record(
            ctx,
            uow,
            actor,
            "telegram.link_code_created",
            subject_type="user",
            subject_id=user.id,
            payload={"expires_at": code.expires_at},
        )
        uow.commit()
    return code, plaintext


def redeem_link_code(ctx: Context, plaintext: str, chat_id: int) -> User:
    actor = Actor.system(label="telegram")
    now = ctx.clock.now()
    invalid = ValidationError(
        "that link code is unknown, used or expired", fields={"code": "invalid"}
    )
    with ctx.uow() as uow:
        code = uow.link_codes.find_by_hash(hash_secret(plaintext.strip()))
        if code is None or code.used_at is not None or code.expires_at <= now:
            raise invalid
        other = uow.users.get_by_chat_id(chat_id)
        if other is not None and other.id != code.user_id:
            raise ConflictError(
                "this chat is already linked to another user", fields={"chat": "taken"}
            )
        if not uow.link_codes.consume(code.id, chat_id, now):
            raise invalid
        uow.users.set_chat_id(code.user_id, chat_id, now)
        audit.record(
            ctx,
            uow,
            actor,
            "telegram.linked",
            subject_type="user",
            subject_id=code.user_id,
            payload={"chat_id": chat_id},
        )
        uow.commit()
        return _find_user(uow, code.user_id)


def set_chat_id(ctx: Context, actor: Actor, user_ref: str, chat_id: int | None) -> User:
    require_admin(actor, "set Telegram chat ids")
    with ctx.uow() as uow:
        user = _find_user(uow, user_ref)
        if chat_id is not None:
            other = uow.users.get_by_chat_id(chat_id)
            if other is not None and other.id != user.id:
                raise ConflictError(
                    f"chat {chat_id} is already linked to {other.username!r}",
                    fields={"chat_id": "taken"},
                )
        uow.users.set_chat_id(user.id, chat_id, ctx.clock.now())
        audit.record(
            ctx,
            uow,
            actor,
            "telegram.chat_set" if chat_id else "telegram.chat_unset",
            subject_type="user",
            subject_id=user.id,
            payload={"chat_id": chat_id},
        )
        uow.commit()
        return _find_user(uow, user.id)
