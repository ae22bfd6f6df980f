"""Broker and LLM credentials. Records hold ciphertext only; views are what users see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from desk.domain.errors import ValidationError


class BrokerKind(StrEnum):
    KITE = "kite"


class LlmProvider(StrEnum):
    OPENROUTER = "openrouter"


@dataclass(frozen=True, slots=True)
class BrokerCredentialRecord:
    id: str
    user_id: str
    broker: BrokerKind
    label: str
    api_key_enc: str
    api_secret_enc: str
    access_token_enc: str | None
    access_token_expires_at: datetime | None
    broker_user_id: str | None
    api_key_hint: str
    key_id: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LlmCredentialRecord:
    id: str
    user_id: str
    provider: LlmProvider
    label: str
    api_key_enc: str
    api_key_hint: str
    key_id: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


TOKEN_WARNING_WINDOW = timedelta(hours=2)


def token_status(expires_at: datetime | None, now: datetime) -> str:
    """``missing`` | ``expired`` | ``expiring`` (within two hours) | ``valid``."""
    if expires_at is None:
        return "missing"
    if now >= expires_at:
        return "expired"
    if expires_at - now <= TOKEN_WARNING_WINDOW:
        return "expiring"
    return "valid"


def validate_label(label: str) -> str:
    value = label.strip()
    if not value or len(value) > 64:
        raise ValidationError("label must be 1-64 characters", fields={"label": "invalid length"})
    return value


def validate_secret_text(value: str, field: str, *, min_len: int = 6, max_len: int = 512) -> str:
    text = value.strip()
    if len(text) < min_len or len(text) > max_len:
        raise ValidationError(
            f"{field} must be {min_len}-{max_len} characters", fields={field: "invalid length"}
        )
    if any(ch.isspace() for ch in text):
        raise ValidationError(f"{field} must not contain whitespace", fields={field: "whitespace"})
    return text
