"""Kite postbacks arriving over HTTP: find whose app signed them, record them once.

Kite signs a postback with sha256(order_id + order_timestamp + api_secret). The secret is
looked up among the active broker credentials (the one whose Kite user id matches first);
no match is an authentication failure, logged and audited (sampled: see
:mod:`desk.services.refusals`), and nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from desk.domain.approval_model import RequestState
from desk.domain.errors import DeskError
from desk.domain.postbacks import PostbackChecksumError, checksum_matches
from desk.domain.users import Actor
from desk.services import audit, trading, vault, webhooks
from desk.services.execution import Executor
from desk.services.order_tracking import PostbackAction, PostbackResult, apply_postback
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import atomically

KITE = Actor.system(label="kite-postback")
log = structlog.get_logger(__name__)


def _secret_for(ctx: Context, payload: Mapping[str, object]) -> str | None:
    views = [v for v in vault.list_broker_credentials(ctx, KITE) if v.is_active]
    kite_user = payload.get("user_id")
    views.sort(key=lambda v: v.broker_user_id != kite_user)  # the matching Kite user first
    for view in views:
        secret = vault.reveal_broker_secrets(ctx, view.id).api_secret.reveal()
        if checksum_matches(payload, secret):
            return secret
    return None


def _record(ctx: Context, action: str, payload: dict[str, object]) -> None:
    def work(uow: UnitOfWork) -> None:
        audit.record(ctx, uow, KITE, action, subject_type="order", subject_id=None, payload=payload)

    atomically(ctx, work)


def _reject(ctx: Context, order_id: str) -> None:
    """Logged always; audited as far as :mod:`desk.services.refusals` lets it through."""
    log.warning("postback_rejected", order_id=order_id, why="checksum")
    webhooks.audit_refusal(
        ctx, ("kite-postback", "checksum", ""), KITE, "execution.postback_rejected",
        subject_type="order", subject_id=None, payload={"order_id": order_id, "why": "checksum"},
    )  # fmt: skip


def receive_postback(
    ctx: Context, executor: Executor, payload: Mapping[str, object]
) -> PostbackResult:
    """Verify, apply once, and settle the request when its order reached a final state."""
    order_id = str(payload.get("order_id", ""))[:64]
    secret = _secret_for(ctx, payload)
    if secret is None:
        _reject(ctx, order_id)
        raise PostbackChecksumError(
            "postback rejected: checksum does not match any active broker credential",
            fields={"checksum": "does not match"},
        )
    result = apply_postback(executor, payload, secret)
    if result.action is PostbackAction.APPLIED:
        _record(
            ctx, "execution.postback",
            {"order_id": result.update.order_id, "status": result.update.status.value},
        )  # fmt: skip
        _settle(ctx, executor, result)
    return result


def _settle(ctx: Context, executor: Executor, result: PostbackResult) -> None:
    intent = result.intent
    if intent is None or not intent.is_terminal:
        return
    with ctx.uow(write=False) as uow:
        request = uow.approvals.get(intent.request_id)
    if request is None or request.state is not RequestState.EXECUTING:
        return
    try:
        trading.settle_request(ctx, executor, intent.request_id)
    except DeskError as exc:  # the housekeeping tick settles it later
        log.warning("postback_settle_failed", request_id=intent.request_id, error=exc.message)
