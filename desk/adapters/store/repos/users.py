"""Users, API tokens and Telegram link codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from desk.adapters.store.auth_cache import AuthCache
from desk.adapters.store.tables import api_tokens, telegram_link_codes, users
from desk.domain.users import ApiToken, LinkCode, Role, User


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        is_active=row.is_active,
        telegram_chat_id=row.telegram_chat_id,
        created_at=row.created_at,
    )


def _nothing() -> None:
    return None


class SqlUserRepository:
    def __init__(self, conn: Connection, *, on_write: Callable[[], None] = _nothing) -> None:
        self._conn = conn
        self._on_write = on_write  # users are part of every authentication (auth_cache)

    def add(self, user: User) -> None:
        self._on_write()
        self._conn.execute(
            users.insert().values(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role.value,
                is_active=user.is_active,
                telegram_chat_id=user.telegram_chat_id,
                created_at=user.created_at,
                updated_at=user.created_at,
            )
        )

    def _one(self, clause: sa.ColumnElement[bool]) -> User | None:
        row = self._conn.execute(sa.select(users).where(clause)).first()
        return _user(row) if row is not None else None

    def get(self, user_id: str) -> User | None:
        return self._one(users.c.id == user_id)

    def get_by_username(self, username: str) -> User | None:
        return self._one(users.c.username == username)

    def get_by_chat_id(self, chat_id: int) -> User | None:
        return self._one(users.c.telegram_chat_id == chat_id)

    def list(self, *, include_inactive: bool = True) -> list[User]:
        query = sa.select(users).order_by(users.c.username)
        if not include_inactive:
            query = query.where(users.c.is_active.is_(True))
        return [_user(r) for r in self._conn.execute(query)]

    def _update(self, user_id: str, now: datetime, **values: Any) -> bool:
        self._on_write()
        result = self._conn.execute(
            users.update().where(users.c.id == user_id).values(updated_at=now, **values)
        )
        return result.rowcount == 1

    def set_active(self, user_id: str, active: bool, now: datetime) -> bool:
        return self._update(user_id, now, is_active=active)

    def set_role(self, user_id: str, role: str, now: datetime) -> bool:
        return self._update(user_id, now, role=role)

    def set_chat_id(self, user_id: str, chat_id: int | None, now: datetime) -> bool:
        return self._update(user_id, now, telegram_chat_id=chat_id)


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        display_prefix=row.display_prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
    )


class _Prefixed:
    """Row attributes under a label prefix (the token half of a token-and-user row)."""

    def __init__(self, row: Any, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


# Every authenticated request runs this: the token and its user in one round trip.
_TOKEN_WITH_USER = (
    sa.select(*(c.label(f"t_{c.key}") for c in api_tokens.c), *users.c)
    .join_from(api_tokens, users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == sa.bindparam("token_hash"))
)


class SqlTokenRepository:
    def __init__(
        self,
        conn: Connection,
        *,
        cache: AuthCache | None = None,
        generation: int = 0,
        on_write: Callable[[], None] = _nothing,
    ) -> None:
        self._conn = conn
        self._cache = cache
        self._generation = generation  # the cache's, read before this transaction began
        self._on_write = on_write

    def find_with_user(self, token_hash: str) -> tuple[ApiToken, User] | None:
        if self._cache is not None and (hit := self._cache.get(token_hash)) is not None:
            return hit
        row = self._conn.execute(_TOKEN_WITH_USER, {"token_hash": token_hash}).first()
        if row is None:
            return None
        found = (_token(_Prefixed(row, "t_")), _user(row))
        if self._cache is not None:
            self._cache.put(token_hash, found, self._generation)
        return found

    def add(self, token: ApiToken, token_hash: str) -> None:
        self._on_write()
        self._conn.execute(
            api_tokens.insert().values(
                id=token.id,
                user_id=token.user_id,
                name=token.name,
                token_hash=token_hash,
                display_prefix=token.display_prefix,
                created_at=token.created_at,
                last_used_at=None,
                revoked_at=None,
                expires_at=token.expires_at,
            )
        )

    def get(self, token_id: str) -> ApiToken | None:
        row = self._conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
        return _token(row) if row is not None else None

    def find_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._conn.execute(
            sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)
        ).first()
        return _token(row) if row is not None else None

    def list_for_user(self, user_id: str | None) -> list[ApiToken]:
        query = sa.select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
        if user_id is not None:
            query = query.where(api_tokens.c.user_id == user_id)
        return [_token(r) for r in self._conn.execute(query)]

    def revoke(self, token_id: str, now: datetime) -> bool:
        self._on_write()
        result = self._conn.execute(
            api_tokens.update()
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    def touch(self, token_id: str, now: datetime, *, older_than: datetime) -> None:
        self._on_write()
        self._conn.execute(
            api_tokens.update()
            .where(
                api_tokens.c.id == token_id,
                sa.or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at < older_than),
            )
            .values(last_used_at=now)
        )


def _code(row: Any) -> LinkCode:
    return LinkCode(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


class SqlLinkCodeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, code: LinkCode, code_hash: str) -> None:
        self._conn.execute(
            telegram_link_codes.insert().values(
                id=code.id,
                user_id=code.user_id,
                code_hash=code_hash,
                created_at=code.created_at,
                expires_at=code.expires_at,
                used_at=None,
                used_chat_id=None,
            )
        )

    def find_by_hash(self, code_hash: str) -> LinkCode | None:
        row = self._conn.execute(
            sa.select(telegram_link_codes).where(telegram_link_codes.c.code_hash == code_hash)
        ).first()
        return _code(row) if row is not None else None

    def consume(self, code_id: str, chat_id: int, now: datetime) -> bool:
        t = telegram_link_codes
        result = self._conn.execute(
            t.update()
            .where(t.c.id == code_id, t.c.used_at.is_(None), t.c.expires_at > now)
            .values(used_at=now, used_chat_id=chat_id)
        )
        return result.rowcount == 1
