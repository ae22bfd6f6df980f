"""What users see of credentials (masks and hints, never secrets), and the plaintext bundle
handed only to broker adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from desk.domain.credentials import BrokerCredentialRecord, LlmCredentialRecord, token_status
from desk.domain.errors import NotFoundError
from desk.domain.secret import Secret, mask
from desk.services.transactions import Once

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class BrokerCredentialView:
    id: str
    user_id: str
    broker: str
    label: str
    api_key: str  # masked
    api_secret: str  # masked
    access_token: str | None  # masked
    access_token_expires_at: datetime | None
    token_status: str
    broker_user_id: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LlmCredentialView:
    id: str
    user_id: str
    provider: str
    label: str
    api_key: str  # masked
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BrokerSecrets:
    credential_id: str
    user_id: str
    api_key: Secret
    api_secret: Secret
    access_token: Secret | None
    access_token_expires_at: datetime | None


def broker_view(r: BrokerCredentialRecord, now: datetime) -> BrokerCredentialView:
    return BrokerCredentialView(
        id=r.id,
        user_id=r.user_id,
        broker=r.broker.value,
        label=r.label,
        api_key=r.api_key_hint,
        api_secret=mask(""),
        access_token=mask("") if r.access_token_enc else None,
        access_token_expires_at=r.access_token_expires_at,
        token_status=token_status(r.access_token_expires_at, now)
        if r.access_token_enc
        else "missing",
        broker_user_id=r.broker_user_id,
        is_active=r.is_active,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def llm_view(r: LlmCredentialRecord) -> LlmCredentialView:
    return LlmCredentialView(
        id=r.id,
        user_id=r.user_id,
        provider=r.provider.value,
        label=r.label,
        api_key=r.api_key_hint,
        is_active=r.is_active,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


# --- idempotent creation: a replayed Idempotency-Key returns the credential it stored,
# masked, as it is now ---------------------------------------------------------------------


def _stored(record: R | None) -> R:
    if record is None:
        raise NotFoundError("the credential this Idempotency-Key created is gone")
    return record


LLM_CREATION: Once[LlmCredentialView] = Once(
    "llm_credential.create",
    record=lambda view: {"id": view.id},
    replay=lambda uow, stored, _: llm_view(_stored(uow.credentials.get_llm(stored["id"]))),
)


def broker_creation(now: datetime) -> Once[BrokerCredentialView]:
    return Once(
        "broker_credential.create",
        record=lambda view: {"id": view.id},
        replay=lambda uow, stored, _: broker_view(
            _stored(uow.credentials.get_broker(stored["id"])), now
        ),
    )
