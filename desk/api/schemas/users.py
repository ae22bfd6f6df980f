"""Users, tokens and Telegram link codes over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, field_validator
from pydantic.json_schema import SkipJsonSchema

from desk.api.schemas.common import DisplayName, Label, Patch, Ref, Strict, WholeNumber, whole
from desk.domain.users import ApiToken, User

_USER_EXAMPLE: dict[str, JsonValue] = {
    "id": "6f1d0c6e2b8a4f0e9d3c5b7a1e2f4d6c",
    "username": "asha",
    "display_name": "Asha Rao",
    "role": "member",
    "is_active": True,
    "telegram_linked": False,
    "created_at": "2026-11-25T04:00:00Z",
}


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: Literal["admin", "member"]
    is_active: bool
    telegram_linked: bool
    created_at: datetime

    model_config = ConfigDict(json_schema_extra={"examples": [_USER_EXAMPLE]})

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role.value,
            is_active=user.is_active,
            telegram_linked=user.telegram_chat_id is not None,
            created_at=user.created_at,
        )


class MeOut(UserOut):
    channel: Literal["api", "dashboard", "cli"] = Field(
        description="The channel this request acts through (header X-Desk-Channel)."
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{**_USER_EXAMPLE, "channel": "api"}]})


class UserCreate(Strict):
    username: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_.-]{1,31}$",
        description="2-32 characters: a letter, then letters, digits, . _ - (kept lowercase).",
        examples=["asha"],
    )
    role: Literal["admin", "member"] = "member"
    display_name: DisplayName | None = Field(default=None, examples=["Asha Rao"])


class UserUpdate(Patch):
    role: Literal["admin", "member"] | SkipJsonSchema[None] = Field(
        default=None, examples=["admin"]
    )
    is_active: bool | SkipJsonSchema[None] = Field(
        default=None, description="false disables the user."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "minProperties": 1,
            "examples": [{"role": "admin"}, {"is_active": False}],
        }
    )


class TokenOut(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str = Field(description="The first characters, to recognise the token.")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7e5c1f9a2d4e6f8a1b3c5d7e9f0a2b",
                    "user_id": "6f1d0c6e2b8a4f0e9d3c5b7a1e2f4d6c",
                    "name": "laptop",
                    "prefix": "desk_Xy7Q",
                    "created_at": "2026-11-25T04:00:00Z",
                    "last_used_at": None,
                    "expires_at": "2027-02-23T04:00:00Z",
                    "revoked_at": None,
                }
            ]
        }
    )

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            user_id=token.user_id,
            name=token.name,
            prefix=token.display_prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class TokenCreate(Strict):
    name: Label = Field(default="default", examples=["laptop"])
    user: Ref | None = Field(
        default=None, description="User id or username (admins only; default: you)."
    )
    expires_days: Annotated[int, Field(ge=1, le=3650), BeforeValidator(whole)] | None = Field(
        default=None, examples=[90], description="Days until it expires (default: never)."
    )


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. Shown once; only a hash is stored.")


class LinkCodeCreate(Strict):
    user: Ref | None = Field(default=None, description="Admins only; default: you.")


class LinkCodeOut(BaseModel):
    code: str = Field(
        description="Send `/start <code>` to the bot. One use only.", examples=["k3x9q2mzt7ab"]
    )
    expires_at: datetime


class ChatIdSet(Strict):
    chat_id: WholeNumber = Field(
        description="Telegram chat id to link to the user.",
        examples=[123456789],
        ge=-(2**52),
        le=2**52,
        json_schema_extra={"not": {"const": 0}},
    )

    @field_validator("chat_id")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("a Telegram chat id is never 0")
        return value
