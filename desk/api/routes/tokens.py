"""API tokens: your own (admins may act for any user). The plaintext is shown once."""

from __future__ import annotations

from fastapi import APIRouter, status

from desk.api.deps import ActorDep, IdempotencyKeyDep, RuntimeDep
from desk.api.pagination import PageDep
from desk.api.params import IdPath, UserRefQuery
from desk.api.schemas.common import ERROR_RESPONSES, Page
from desk.api.schemas.users import TokenCreate, TokenCreated, TokenOut
from desk.services import users

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], responses=ERROR_RESPONSES)


@router.get("/", response_model=Page[TokenOut], summary="List tokens (yours by default)")
def list_tokens(
    runtime: RuntimeDep, actor: ActorDep, paging: PageDep, user: UserRefQuery = None
) -> Page[TokenOut]:
    """Your own tokens; admins may pass `user` to list someone else's."""
    tokens = users.list_tokens(runtime, actor, user or actor.user_id)
    return paging.slice(tokens, TokenOut.of)


@router.post(
    "/",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a token",
    description="Returns the token once (field `token`); only its hash is stored. "
    "Admins may create tokens for other users with `user`. Replaying an `Idempotency-Key` "
    "returns the same token (the plaintext is kept encrypted for that).",
)
def create_token(
    runtime: RuntimeDep, actor: ActorDep, body: TokenCreate, key: IdempotencyKeyDep
) -> TokenCreated:
    owner = body.user or actor.user_id
    assert owner is not None
    issued = users.create_token(
        runtime, actor, owner, name=body.name, expires_days=body.expires_days,
        idempotency_key=key,
    )  # fmt: skip
    return TokenCreated(**TokenOut.of(issued.token).model_dump(), token=issued.plaintext)


@router.delete("/{token_id}/", response_model=TokenOut, summary="Revoke a token")
def revoke_token(runtime: RuntimeDep, actor: ActorDep, token_id: IdPath) -> TokenOut:
    """Revokes at once; the token stays listed with `revoked_at` set."""
    return TokenOut.of(users.revoke_token(runtime, actor, token_id))
