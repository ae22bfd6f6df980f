"""The desk as the Telegram bot sees it: the ``ApprovalDesk`` port over the real services.

Every call acts as the linked user through the ``telegram`` channel, with exactly the same
rules as the API; the bot only formats what comes back.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any

from desk.domain.errors import DeskError, NotFoundError, ValidationError
from desk.domain.telegram import (
    AmbiguousRequestError,
    DecisionOutcome,
    DecisionRecord,
    LinkCodeError,
    RequestStatus,
    RequestSummary,
    TgDecision,
    TgUser,
)
from desk.domain.users import Actor, Channel, User
from desk.services import approvals, users
from desk.services.approvals import RequestDetail
from desk.services.ports.context import Context

SUMMARY_CHARS = 280


def summarize(detail: RequestDetail) -> RequestSummary:
    """A request as an approver needs to see it (also used by the dashboard)."""
    r, d = detail.request, detail.details
    instrument: str | None
    if r.kind.value == "config_promotion":
        instrument = f"config v{d.get('version')} → {d.get('to_stage')}"
        changed = ", ".join(str(c.get("field")) for c in d.get("diff", [])[:8]) or "no changes"
        rationale, risk = f"changes: {changed}", "config promotion"
    else:
        instrument = d.get("instrument")
        rationale = str(d.get("rationale") or "")
        failed = [c for c in d.get("risk", []) if not c.get("passed")]
        risk = "all checks passed" if not failed else "; ".join(str(c["message"]) for c in failed)
    return RequestSummary(
        id=r.id,
        agent_name=detail.agent_name,
        kind=r.kind.value,
        instrument=instrument,
        side=d.get("side"),
        quantity=d.get("quantity"),
        price=_decimal(d.get("price")),
        value_paise=d.get("value_paise"),
        rationale_summary=_clip(rationale),
        risk_summary=_clip(risk),
        quorum_progress=detail.progress,
        created_at=r.created_at,
        expires_at=r.expires_at,
    )


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _tg_user(user: User) -> TgUser:
    assert user.telegram_chat_id is not None
    return TgUser(user.id, user.username, user.display_name, user.telegram_chat_id)


class ServiceApprovalDesk:
    """Implements :class:`desk.services.ports.telegram.ApprovalDesk`."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def _actor(self, tg: TgUser) -> Actor:
        user = users.get_user(self._ctx, tg.user_id)
        if not user.is_active or user.telegram_chat_id != tg.chat_id:
            raise NotFoundError("this chat is no longer linked to an active user")
        return Actor.of(user, Channel.TELEGRAM)

    async def user_for_chat(self, chat_id: int) -> TgUser | None:
        def find() -> TgUser | None:
            with self._ctx.uow(write=False) as uow:
                user = uow.users.get_by_chat_id(chat_id)
            return _tg_user(user) if user is not None and user.is_active else None

        return await asyncio.to_thread(find)

    async def link(self, code: str, chat_id: int) -> TgUser:
        def go() -> TgUser:
            try:
                return _tg_user(users.redeem_link_code(self._ctx, code, chat_id))
            except ValidationError as exc:
                raise LinkCodeError(exc.message) from None

        return await asyncio.to_thread(go)

    async def pending(self, user: TgUser, limit: int) -> list[RequestSummary]:
        def go() -> list[RequestSummary]:
            return [
                summarize(d) for d in approvals.queue(self._ctx, self._actor(user), limit=limit)
            ]

        return await asyncio.to_thread(go)

    def _resolve(self, actor: Actor, ref: str) -> str:
        try:
            return approvals.resolve_ref(self._ctx, actor, ref)
        except ValidationError as exc:
            if exc.fields.get("request_id") == "ambiguous":
                raise AmbiguousRequestError(exc.message, fields=exc.fields) from None
            raise

    async def status(self, user: TgUser, request_ref: str) -> RequestStatus:
        def go() -> RequestStatus:
            actor = self._actor(user)
            detail = approvals.get_request(self._ctx, actor, self._resolve(actor, request_ref))
            return _status(self._ctx, detail)

        return await asyncio.to_thread(go)

    async def decide(
        self, user: TgUser, request_ref: str, decision: TgDecision, reason: str | None
    ) -> DecisionOutcome:
        def go() -> DecisionOutcome:
            actor = self._actor(user)
            request_id = self._resolve(actor, request_ref)
            result = approvals.decide(self._ctx, actor, request_id, decision.value, reason)
            detail = approvals.get_request(self._ctx, actor, request_id)
            verb = "approved" if decision is TgDecision.APPROVE else "rejected"
            state = result.request.state.value
            return DecisionOutcome(
                request_id, state, detail.progress,
                f"You {verb} request {request_id[:8]}; it is now {state} ({detail.progress}).",
            )  # fmt: skip

        return await asyncio.to_thread(go)


def _status(ctx: Context, detail: RequestDetail) -> RequestStatus:
    names: dict[str, str] = {}
    records = []
    for d in detail.decisions:
        if d.approver_id not in names:
            try:
                names[d.approver_id] = users.get_user(ctx, d.approver_id).username
            except DeskError:
                names[d.approver_id] = d.approver_id[:8]
        records.append(
            DecisionRecord(
                names[d.approver_id],
                d.decided_at,
                d.channel.value,
                TgDecision(d.decision.value),
                d.reason,
            )
        )
    return RequestStatus(
        summarize(detail),
        detail.request.state.value,
        detail.request.escalated,
        tuple(records),
        detail.details.get("order_status"),
    )
