"""Users, roles, API tokens and Telegram link codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from desk.domain.errors import ValidationError


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class Channel(StrEnum):
    """Where an action came from; recorded with every audit event and decision."""

    API = "api"
    CLI = "cli"
    DASHBOARD = "dashboard"
    TELEGRAM = "telegram"
    SYSTEM = "system"


USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
TOKEN_PREFIX = "desk_"  # noqa: S105 (a public prefix, not a secret)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    display_name: str
    role: Role
    is_active: bool
    telegram_chat_id: int | None
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, and through which channel. ``user_id`` is None for the system itself."""

    user_id: str | None
    role: Role
    channel: Channel
    label: str

    @classmethod
    def system(cls, channel: Channel = Channel.SYSTEM, label: str = "system") -> Actor:
        return cls(user_id=None, role=Role.ADMIN, channel=channel, label=label)

    @classmethod
    def of(cls, user: User, channel: Channel) -> Actor:
        return cls(user_id=user.id, role=user.role, channel=channel, label=user.username)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    user_id: str
    name: str
    display_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class LinkCode:
    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


def validate_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise ValidationError(
            "username must be 2-32 characters: a lowercase letter, then letters, digits, . _ -",
            fields={"username": "invalid format"},
        )
    return name


def validate_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(
            f"unknown role {role!r}; use one of: {', '.join(r.value for r in Role)}",
            fields={"role": "unknown role"},
        ) from None


def validate_display_name(name: str | None, username: str) -> str:
    value = (name or username).strip()
    if not value or len(value) > 80:
        raise ValidationError(
            "display name must be 1-80 characters", fields={"display_name": "invalid length"}
        )
    return value


def validate_token_name(name: str) -> str:
    value = name.strip()
    if not value or len(value) > 64:
        raise ValidationError("token name must be 1-64 characters", fields={"name": "invalid"})
    return value
