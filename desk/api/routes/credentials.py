"""Broker and LLM credentials: secrets go in, only masks come out.

Members see and change their own; admins see the metadata of all (never a secret).
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from desk.api.deps import ActorDep, IdempotencyKeyDep, RuntimeDep
from desk.api.pagination import PageDep
from desk.api.params import IdPath
from desk.api.schemas.common import ERROR_RESPONSES, Page
from desk.api.schemas.credentials import (
    BrokerCredentialCreate,
    BrokerCredentialOut,
    BrokerCredentialUpdate,
    LlmCredentialCreate,
    LlmCredentialOut,
    LlmCredentialUpdate,
)
from desk.domain.errors import NotFoundError
from desk.services import vault

router = APIRouter(prefix="/api/v1", tags=["credentials"], responses=ERROR_RESPONSES)


# --- broker -------------------------------------------------------------------------------


@router.get(
    "/broker-credentials/",
    response_model=Page[BrokerCredentialOut],
    summary="List broker credentials (masked)",
)
def list_broker_credentials(
    runtime: RuntimeDep, actor: ActorDep, paging: PageDep
) -> Page[BrokerCredentialOut]:
    views = vault.list_broker_credentials(runtime, actor)
    return paging.slice(views, BrokerCredentialOut.of)


@router.post(
    "/broker-credentials/",
    response_model=BrokerCredentialOut,
    status_code=status.HTTP_201_CREATED,
    summary="Store a Kite api_key and api_secret (encrypted)",
)
def add_broker_credential(
    runtime: RuntimeDep, actor: ActorDep, body: BrokerCredentialCreate, key: IdempotencyKeyDep
) -> BrokerCredentialOut:
    view = vault.add_broker_credential(
        runtime,
        actor,
        api_key=body.api_key.get_secret_value(),
        api_secret=body.api_secret.get_secret_value(),
        label=body.label,
        broker=body.broker,
        idempotency_key=key,
    )
    return BrokerCredentialOut.of(view)


@router.get(
    "/broker-credentials/{credential_id}/",
    response_model=BrokerCredentialOut,
    summary="One broker credential (masked)",
)
def get_broker_credential(
    runtime: RuntimeDep, actor: ActorDep, credential_id: IdPath
) -> BrokerCredentialOut:
    for view in vault.list_broker_credentials(runtime, actor):
        if view.id == credential_id:
            return BrokerCredentialOut.of(view)
    raise NotFoundError(f"no broker credential {credential_id!r}", fields={"id": "unknown"})


@router.patch(
    "/broker-credentials/{credential_id}/",
    response_model=BrokerCredentialOut,
    summary="Change label, keys or status (owner only)",
    description="New api_key/api_secret clear the stored Kite session (log in again).",
)
def update_broker_credential(
    runtime: RuntimeDep, actor: ActorDep, credential_id: IdPath, body: BrokerCredentialUpdate
) -> BrokerCredentialOut:
    view = vault.update_broker_credential(
        runtime,
        actor,
        credential_id,
        label=body.label,
        api_key=body.api_key.get_secret_value() if body.api_key else None,
        api_secret=body.api_secret.get_secret_value() if body.api_secret else None,
        is_active=body.is_active,
    )
    return BrokerCredentialOut.of(view)


@router.delete(
    "/broker-credentials/{credential_id}/",
    summary="Delete a broker credential",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_broker_credential(runtime: RuntimeDep, actor: ActorDep, credential_id: IdPath) -> None:
    vault.delete_broker_credential(runtime, actor, credential_id)


# --- LLM ----------------------------------------------------------------------------------


@router.get(
    "/llm-credentials/", response_model=Page[LlmCredentialOut], summary="List LLM keys (masked)"
)
def list_llm_credentials(
    runtime: RuntimeDep, actor: ActorDep, paging: PageDep
) -> Page[LlmCredentialOut]:
    return paging.slice(vault.list_llm_credentials(runtime, actor), LlmCredentialOut.of)


@router.post(
    "/llm-credentials/",
    response_model=LlmCredentialOut,
    status_code=status.HTTP_201_CREATED,
    summary="Store an OpenRouter key (encrypted)",
)
def add_llm_credential(
    runtime: RuntimeDep, actor: ActorDep, body: LlmCredentialCreate, key: IdempotencyKeyDep
) -> LlmCredentialOut:
    view = vault.add_llm_credential(
        runtime,
        actor,
        api_key=body.api_key.get_secret_value(),
        label=body.label,
        provider=body.provider,
        activate=body.activate,
        idempotency_key=key,
    )
    return LlmCredentialOut.of(view)


@router.patch(
    "/llm-credentials/{credential_id}/",
    response_model=LlmCredentialOut,
    summary="Activate or deactivate an LLM key",
    description="Activating one key deactivates your other keys (one active key per user).",
)
def update_llm_credential(
    runtime: RuntimeDep, actor: ActorDep, credential_id: IdPath, body: LlmCredentialUpdate
) -> LlmCredentialOut:
    view = vault.set_llm_credential_active(runtime, actor, credential_id, body.is_active)
    return LlmCredentialOut.of(view)


@router.delete(
    "/llm-credentials/{credential_id}/",
    summary="Delete an LLM key",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_llm_credential(runtime: RuntimeDep, actor: ActorDep, credential_id: IdPath) -> None:
    vault.delete_llm_credential(runtime, actor, credential_id)
