"""Approval notifications on Telegram: new requests with Approve/Reject buttons, then edits.

Every public method only queues work on the :class:`Outbox` and returns at once, so callers
(the approvals service, a webhook handler) never wait on Telegram. The messages sent for a
request are remembered in a :class:`MessageLog` so later events edit them in place.

Mapping from the approvals' ``RequestNotice`` topics: ``created`` → :meth:`request_created`;
``escalated`` → :meth:`request_escalated` (escalation approvers); ``decided`` while still
pending → :meth:`request_progressed` (with the chats of those who decided); ``decided`` to
approved/rejected, ``canceled``, ``expired`` and order execution → :meth:`request_closed`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from desk.adapters.telegram.callback_data import CallbackSigner
from desk.adapters.telegram.messages import closed_text, request_text
from desk.adapters.telegram.outbox import Outbox
from desk.domain.telegram import (
    InlineButton,
    InlineKeyboard,
    RequestSummary,
    SentMessage,
    TgDecision,
    TgUser,
)
from desk.services.ports.telegram import BotApi, MessageLog

FINAL_STATES = frozenset({"rejected", "expired", "canceled", "executed", "failed"})
NEW_HEADLINE = "Approval needed"
ESCALATED_HEADLINE = "Escalated: approval needed"


def decision_keyboard(signer: CallbackSigner, request_id: str, chat_id: int) -> InlineKeyboard:
    """Approve / Reject buttons signed for this request and this chat."""
    return (
        (
            InlineButton("✅ Approve", signer.sign(TgDecision.APPROVE, request_id, chat_id)),
            InlineButton("❌ Reject", signer.sign(TgDecision.REJECT, request_id, chat_id)),
        ),
    )


class TelegramNotifier:
    def __init__(
        self, api: BotApi, messages: MessageLog, signer: CallbackSigner, outbox: Outbox
    ) -> None:
        self._api = api
        self._messages = messages
        self._signer = signer
        self._outbox = outbox

    def request_created(self, summary: RequestSummary, recipients: Sequence[TgUser]) -> None:
        """Send the new request, with buttons, to each eligible linked approver."""
        for user in _unique(recipients):
            self._send(summary, user.chat_id, NEW_HEADLINE)

    def request_escalated(self, summary: RequestSummary, recipients: Sequence[TgUser]) -> None:
        """Mark existing messages as escalated and notify the escalation approvers."""
        chats = [user.chat_id for user in _unique(recipients)]

        async def fan_out() -> None:
            sent = await self._messages.messages(summary.id)
            have = {m.chat_id for m in sent}
            for m in sent:
                self._edit(
                    summary.id, m, request_text(summary, headline=ESCALATED_HEADLINE), buttons=True
                )
            for chat_id in chats:
                if chat_id not in have:
                    self._send(summary, chat_id, ESCALATED_HEADLINE)

        self._outbox.put(f"escalated:{summary.id}", fan_out)

    def request_progressed(
        self, summary: RequestSummary, decided_chat_ids: Collection[int] = ()
    ) -> None:
        """Refresh quorum progress; chats whose user has decided lose their buttons."""
        decided = frozenset(decided_chat_ids)

        async def fan_out() -> None:
            for m in await self._messages.messages(summary.id):
                if m.chat_id in decided:
                    text = closed_text(summary, "pending", "You have decided on this request.")
                    self._edit(summary.id, m, text, buttons=False)
                else:
                    self._edit(
                        summary.id, m, request_text(summary, headline=NEW_HEADLINE), buttons=True
                    )

        self._outbox.put(f"progressed:{summary.id}", fan_out)

    def request_closed(self, summary: RequestSummary, state: str, note: str | None = None) -> None:
        """The request was decided, expired, canceled or executed: show it, drop the buttons."""

        async def fan_out() -> None:
            for m in await self._messages.messages(summary.id):
                self._edit(summary.id, m, closed_text(summary, state, note), buttons=False)
            if state in FINAL_STATES:
                await self._messages.forget(summary.id)

        self._outbox.put(f"closed:{summary.id}:{state}", fan_out)

    def _send(self, summary: RequestSummary, chat_id: int, headline: str) -> None:
        text = request_text(summary, headline=headline)
        keyboard = decision_keyboard(self._signer, summary.id, chat_id)

        async def send() -> None:
            sent = await self._api.send_message(chat_id, text, keyboard=keyboard)
            await self._messages.add(summary.id, sent)

        self._outbox.put(f"send:{summary.id}:{chat_id}", send)

    def _edit(self, request_id: str, message: SentMessage, text: str, *, buttons: bool) -> None:
        keyboard = decision_keyboard(self._signer, request_id, message.chat_id) if buttons else None

        async def edit() -> None:
            await self._api.edit_message_text(
                message.chat_id, message.message_id, text, keyboard=keyboard
            )

        self._outbox.put(f"edit:{message.chat_id}:{message.message_id}", edit)


def _unique(users: Sequence[TgUser]) -> list[TgUser]:
    seen: set[int] = set()
    out: list[TgUser] = []
    for user in users:
        if user.chat_id not in seen:
            seen.add(user.chat_id)
            out.append(user)
    return out
