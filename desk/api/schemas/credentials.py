"""Credentials over HTTP: secrets are write-only; responses carry masks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from desk.api.schemas.common import BrokerSecret, Label, LlmSecret, Patch, Strict
from desk.services.credential_views import BrokerCredentialView, LlmCredentialView


class LlmCredentialCreate(Strict):
    api_key: LlmSecret = Field(description="The OpenRouter key (write-only).")
    label: Label = Field(default="default", examples=["personal"])
    provider: Literal["openrouter"] = "openrouter"
    activate: bool = Field(default=True, description="Make it your active key.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"api_key": "sk-or-v1-…", "label": "personal"}]}
    )


class LlmCredentialUpdate(Strict):
    is_active: bool = Field(description="true makes it your one active key.")


class LlmCredentialOut(BaseModel):
    id: str
    user_id: str
    provider: str
    label: str
    api_key: str = Field(description="Masked.", examples=["••••3f9a"])
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: LlmCredentialView) -> LlmCredentialOut:
        return cls(
            id=view.id, user_id=view.user_id, provider=view.provider, label=view.label,
            api_key=view.api_key, is_active=view.is_active, created_at=view.created_at,
            updated_at=view.updated_at,
        )  # fmt: skip


class BrokerCredentialCreate(Strict):
    api_key: BrokerSecret = Field(description="Kite Connect api_key (write-only).")
    api_secret: BrokerSecret = Field(description="Kite Connect api_secret (write-only).")
    label: Label = Field(default="kite", examples=["main account"])
    broker: Literal["kite"] = "kite"

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"api_key": "kiteapikey123", "api_secret": "…", "label": "main account"}]
        }
    )


class BrokerCredentialUpdate(Patch):
    label: Label | SkipJsonSchema[None] = None
    api_key: BrokerSecret | SkipJsonSchema[None] = None
    api_secret: BrokerSecret | SkipJsonSchema[None] = None
    is_active: bool | SkipJsonSchema[None] = None

    model_config = ConfigDict(
        json_schema_extra={"minProperties": 1, "examples": [{"label": "renamed"}]}
    )


class BrokerCredentialOut(BaseModel):
    id: str
    user_id: str
    broker: str
    label: str
    api_key: str = Field(description="Masked.", examples=["••••y123"])
    api_secret: str = Field(description="Always masked.", examples=["••••"])
    access_token: str | None = Field(description="Masked; null until a Kite login.")
    access_token_expires_at: datetime | None
    token_status: Literal["missing", "expired", "expiring", "valid"]
    broker_user_id: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: BrokerCredentialView) -> BrokerCredentialOut:
        return cls(
            id=view.id, user_id=view.user_id, broker=view.broker, label=view.label,
            api_key=view.api_key, api_secret=view.api_secret, access_token=view.access_token,
            access_token_expires_at=view.access_token_expires_at,
            token_status=view.token_status,
            broker_user_id=view.broker_user_id, is_active=view.is_active,
            created_at=view.created_at, updated_at=view.updated_at,
        )  # fmt: skip
