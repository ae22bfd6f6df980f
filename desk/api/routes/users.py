"""Users (admin only): list, create, read, change role or status, link a Telegram chat."""

from __future__ import annotations

from fastapi import APIRouter, status

from desk.api.deps import AdminDep, IdempotencyKeyDep, RuntimeDep
from desk.api.pagination import PageDep
from desk.api.params import IdPath
from desk.api.schemas.common import ERROR_RESPONSES, Page
from desk.api.schemas.users import ChatIdSet, UserCreate, UserOut, UserUpdate
from desk.domain.errors import ValidationError
from desk.services import users

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=ERROR_RESPONSES)


@router.get("/", response_model=Page[UserOut], summary="List users")
def list_users(runtime: RuntimeDep, actor: AdminDep, paging: PageDep) -> Page[UserOut]:
    return paging.slice(users.list_users(runtime, actor), UserOut.of)


@router.post(
    "/", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Create a user"
)
def create_user(
    runtime: RuntimeDep, actor: AdminDep, body: UserCreate, key: IdempotencyKeyDep
) -> UserOut:
    user = users.create_user(
        runtime, actor, body.username, role=body.role, display_name=body.display_name,
        idempotency_key=key,
    )  # fmt: skip
    return UserOut.of(user)


@router.get("/{user_id}/", response_model=UserOut, summary="One user (by id or username)")
def get_user(runtime: RuntimeDep, actor: AdminDep, user_id: IdPath) -> UserOut:
    return UserOut.of(users.get_user(runtime, user_id))


@router.patch("/{user_id}/", response_model=UserOut, summary="Change a user's role or status")
def update_user(runtime: RuntimeDep, actor: AdminDep, user_id: IdPath, body: UserUpdate) -> UserOut:
    if body.role is None and body.is_active is None:
        raise ValidationError("nothing to change", fields={"body": "give role or is_active"})
    user = users.get_user(runtime, user_id)
    # The status change is the one that can be refused (disabling yourself), so it goes first:
    # a refused request changes nothing.
    if body.is_active is not None:
        user = users.set_user_active(runtime, actor, user.id, body.is_active)
    if body.role is not None:
        user = users.set_user_role(runtime, actor, user.id, body.role)
    return UserOut.of(user)


@router.put("/{user_id}/telegram-chat/", response_model=UserOut, summary="Link a Telegram chat id")
def set_telegram_chat(
    runtime: RuntimeDep, actor: AdminDep, user_id: IdPath, body: ChatIdSet
) -> UserOut:
    return UserOut.of(users.set_chat_id(runtime, actor, user_id, body.chat_id))


@router.delete(
    "/{user_id}/telegram-chat/", response_model=UserOut, summary="Unlink the Telegram chat"
)
def unset_telegram_chat(runtime: RuntimeDep, actor: AdminDep, user_id: IdPath) -> UserOut:
    return UserOut.of(users.set_chat_id(runtime, actor, user_id, None))
