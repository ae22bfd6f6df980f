"""``GET /api/v1/me/``: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from desk.api.deps import ActorDep, RuntimeDep
from desk.api.schemas.common import ERROR_RESPONSES
from desk.api.schemas.users import MeOut, UserOut
from desk.services import users

router = APIRouter(prefix="/api/v1", tags=["users"], responses=ERROR_RESPONSES)


@router.get("/me/", response_model=MeOut, summary="The signed-in user")
def me(runtime: RuntimeDep, actor: ActorDep) -> MeOut:
    assert actor.user_id is not None  # API actors are always users
    user = users.get_user(runtime, actor.user_id)
    return MeOut(**UserOut.of(user).model_dump(), channel=actor.channel.value)
