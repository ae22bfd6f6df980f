"""Telegram: one-time link codes, and the bot's webhook (guarded by two shared secrets)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Request, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from desk.api.deps import ActorDep, IdempotencyKeyDep, MaybeServerDep, RuntimeDep
from desk.api.schemas.common import ERROR_RESPONSES, error_responses
from desk.api.schemas.users import LinkCodeCreate, LinkCodeOut
from desk.bootstrap import Runtime
from desk.domain.errors import PermissionDeniedError
from desk.services import users, webhooks

router = APIRouter(prefix="/api/v1/telegram", tags=["telegram"])
log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


class WebhookAck(BaseModel):
    ok: bool = True


@router.post(
    "/link-codes/",
    response_model=LinkCodeOut,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
    summary="Create a one-time code to link your Telegram chat",
    description="Send `/start <code>` to the bot within 15 minutes. Admins may pass `user`.",
)
def create_link_code(
    runtime: RuntimeDep,
    actor: ActorDep,
    _key: IdempotencyKeyDep,
    body: LinkCodeCreate | None = None,
) -> LinkCodeOut:
    code, plaintext = users.create_link_code(runtime, actor, body.user if body else None)
    return LinkCodeOut(code=plaintext, expires_at=code.expires_at)


UPDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A Telegram `Update` object.",
    "required": ["update_id"],
    "properties": {"update_id": {"type": "integer", "minimum": 0}},
    "additionalProperties": True,
    "example": {"update_id": 10001, "message": {"message_id": 1, "text": "/pending"}},
}


@router.post(
    "/webhook/{secret}/",
    response_model=WebhookAck,
    summary="Telegram Bot API webhook",
    description=(
        "Called by Telegram, not by users: no bearer token. The path must carry "
        "TELEGRAM_WEBHOOK_SECRET (else 404, as if the route did not exist) and the header "
        f"`{SECRET_HEADER}` must equal it too (else 403). Both are compared in constant "
        "time before the body is read, and every refusal is audited."
    ),
    responses=error_responses(403, 404, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": UPDATE_SCHEMA}},
        }
    },
)
async def telegram_webhook(
    request: Request,
    runtime: RuntimeDep,
    server: MaybeServerDep,
    secret: str,
    token: Annotated[
        str | None, Header(alias=SECRET_HEADER, description="Equal to TELEGRAM_WEBHOOK_SECRET.")
    ] = None,
) -> WebhookAck:
    configured = runtime.settings.telegram_webhook_secret
    if configured is None:
        raise StarletteHTTPException(404, "Not Found")
    expected = configured.get_secret_value()
    client = request.client.host if request.client else None
    if not webhooks.secrets_match(secret, expected):
        await _reject(runtime, "wrong_path_secret", client)
        raise StarletteHTTPException(404, "Not Found")
    if not webhooks.secrets_match(token, expected):
        reason = "missing_header" if token is None else "wrong_header"
        await _reject(runtime, reason, client)
        raise PermissionDeniedError(f"missing or wrong {SECRET_HEADER}")
    update = _parse_update(await request.body())
    if update is None:
        return WebhookAck()  # malformed: acknowledged (so Telegram stops retrying) and ignored
    if server is not None and server.telegram is not None:
        server.telegram.submit(update)  # processed after this answer, on the bot's loop
    return WebhookAck()


async def _reject(runtime: Runtime, reason: str, client: str | None) -> None:
    await run_in_threadpool(
        webhooks.record_rejection, runtime, source="telegram", reason=reason, client=client
    )


def _parse_update(raw: bytes) -> dict[str, Any] | None:
    """A Telegram Update, or None for anything else (logged, never an error to Telegram)."""
    try:
        update = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        update = None
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        log.warning("telegram_update_ignored", reason="malformed update", size=len(raw))
        return None
    return dict(update)
