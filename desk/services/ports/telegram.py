"""Ports of the Telegram side: what the bot needs from the desk, and what it needs from Telegram.

:class:`ApprovalDesk` is implemented by the approvals service (acting as one user, channel
``telegram``, same RBAC as the API); the bot holds no business rules. :class:`BotApi` wraps the
outgoing Bot API calls (python-telegram-bot in production, a recorder in unit tests).
:class:`MessageLog` and :class:`UpdateLedger` are small pieces of state that start in memory and
can later be backed by the store.

All methods are ``async``: the bot runs on an event loop; a synchronous service is wrapped with
``anyio.to_thread.run_sync`` by its adapter.
"""

from __future__ import annotations

from typing import Protocol

from desk.domain.errors import DeskError
from desk.domain.telegram import (
    DecisionOutcome,
    InlineKeyboard,
    RequestStatus,
    RequestSummary,
    SentMessage,
    TgDecision,
    TgUser,
)


class ApprovalDesk(Protocol):
    """The desk as seen by the bot. Every failure is a :class:`DeskError` with a clear message."""

    async def user_for_chat(self, chat_id: int) -> TgUser | None:
        """The active user linked to this private chat, or None."""
        ...

    async def link(self, code: str, chat_id: int) -> TgUser:
        """Consume a one-time link code and store ``chat_id`` on its user's profile.

        Raises ``LinkCodeError`` (unknown, used or expired code) or ``ConflictError``
        (the chat is already linked to another user).
        """
        ...

    async def pending(self, user: TgUser, limit: int) -> list[RequestSummary]:
        """Requests this user may decide now, oldest first, at most ``limit``."""
        ...

    async def status(self, user: TgUser, request_ref: str) -> RequestStatus:
        """One request by full id or unambiguous id prefix.

        Raises ``NotFoundError`` (unknown or not visible to the user) or
        ``AmbiguousRequestError`` (the prefix matches several requests).
        """
        ...

    async def decide(
        self, user: TgUser, request_ref: str, decision: TgDecision, reason: str | None
    ) -> DecisionOutcome:
        """Record the user's decision through channel ``telegram``.

        Raises ``NotFoundError``/``AmbiguousRequestError`` as :meth:`status`,
        ``PermissionDeniedError`` (not an eligible approver, or the proposer/author),
        ``ConflictError`` (already decided by this user, or the request is no longer pending),
        ``ValidationError`` (e.g. a reject without a reason).
        """
        ...


class BotDeliveryError(DeskError):
    """Telegram refused a call (blocked by the user, chat not found, bad markup...)."""

    code = "telegram_delivery_failed"
    http_status = 502


class BotRateLimitedError(BotDeliveryError):
    """Telegram answered 429; retry after ``retry_after`` seconds."""

    code = "telegram_rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Telegram rate limit: retry after {retry_after:g} s")
        self.retry_after = retry_after


class BotApi(Protocol):
    """Outgoing Bot API calls. Raise :class:`BotRateLimitedError` on 429 and
    :class:`BotDeliveryError` on other refusals; "message is not modified" is a success."""

    async def send_message(
        self,
        chat_id: int,
        text: str,
        *,
        keyboard: InlineKeyboard | None = None,
        force_reply: bool = False,
    ) -> SentMessage:
        """Send an HTML-formatted message, optionally with inline buttons or asking for a
        reply (``force_reply``: the user's client opens a reply to this message)."""
        ...

    async def edit_message_text(
        self, chat_id: int, message_id: int, text: str, *, keyboard: InlineKeyboard | None = None
    ) -> None:
        """Replace a message's text; ``keyboard=None`` removes its buttons."""
        ...

    async def answer_callback_query(
        self, callback_query_id: str, text: str, *, show_alert: bool = False
    ) -> None:
        """Stop the button spinner and show ``text`` (≤ 200 characters) to the user."""
        ...


class MessageLog(Protocol):
    """Which Telegram messages were sent about which request (to edit them later)."""

    async def add(self, request_id: str, message: SentMessage) -> None: ...

    async def messages(self, request_id: str) -> list[SentMessage]: ...

    async def forget(self, request_id: str) -> None: ...


class UpdateLedger(Protocol):
    """Remembers processed ``update_id``s so Telegram's retries are handled once."""

    async def claim(self, update_id: int) -> bool:
        """True the first time an id is seen (process it), False for a replay (ignore it)."""
        ...
