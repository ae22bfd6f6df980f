"""The Telegram bot: python-telegram-bot v22 in webhook mode (no Updater), commands and buttons.

Handlers parse input (:mod:`.commands`), call the :class:`ApprovalDesk` port acting as the
linked user, and reply through the :class:`BotApi` port. They hold no business rules: the desk
decides who may see or decide what. Any :class:`DeskError` becomes a reply and nothing else.

Entry points for the HTTP layer: :meth:`TelegramBot.process_update` (await the handlers, for
tests and benchmarks) and :meth:`TelegramBot.submit` (acknowledge now, process in the
background). Both de-duplicate ``update_id`` through an :class:`UpdateLedger` and never raise.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Coroutine
from html import escape
from typing import Any

import structlog
from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from desk.adapters.telegram import messages as text
from desk.adapters.telegram.bot_api import PtbBotApi
from desk.adapters.telegram.callback_data import CallbackSigner, ForgedCallbackError
from desk.adapters.telegram.commands import (
    parse_decision,
    parse_limit,
    parse_link_code,
    parse_reason,
    parse_status,
    split_command,
)
from desk.adapters.telegram.memory import InMemoryUpdateLedger
from desk.adapters.telegram.outbox import Sleep, with_retry_after
from desk.domain.errors import DeskError, ValidationError
from desk.domain.telegram import TgDecision, TgUser
from desk.services.ports.telegram import ApprovalDesk, BotApi, BotDeliveryError, UpdateLedger

log = structlog.get_logger(__name__)

PtbApplication = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE
Texts = list[str]

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
REASON_PROMPT = "Why reject request {request_id}? Reply to this message with your reason."
_REASON_PROMPT_RE = re.compile(r"^Why reject request ([A-Za-z0-9_-]+)\?")
_GENERIC_FAILURE = "Something went wrong on our side; please try again or use the dashboard."
_ONLY_MESSAGES = filters.UpdateType.MESSAGE  # edited messages never trigger a command again


def build_application(
    token: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    base_file_url: str | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
) -> PtbApplication:
    """A PTB ``Application`` with no Updater: we own the webhook route."""
    builder = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .updater(None)
    )
    if base_file_url is not None:
        builder = builder.base_file_url(base_file_url)
    application: PtbApplication = builder.build()
    return application


class TelegramBot:
    def __init__(
        self,
        application: PtbApplication,
        desk: ApprovalDesk,
        signer: CallbackSigner,
        *,
        api: BotApi | None = None,
        ledger: UpdateLedger | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.application = application
        self._desk = desk
        self._signer = signer
        self.api: BotApi = api if api is not None else PtbBotApi(application.bot)
        self._ledger: UpdateLedger = ledger if ledger is not None else InMemoryUpdateLedger()
        self._sleep = sleep
        self._tasks: set[asyncio.Task[bool]] = set()
        self._register()

    # -- lifecycle and entry points -------------------------------------------------------

    async def start(self) -> None:
        """Initialise PTB (calls ``getMe``)."""
        await self.application.initialize()

    async def stop(self) -> None:
        await self.drain()
        await self.application.shutdown()

    async def process_update(self, data: object) -> bool:
        """Handle one Update dict; False when it was a replay or malformed. Never raises."""
        try:
            if not isinstance(data, dict):
                log.warning("telegram_update_malformed", reason="not an object")
                return False
            update_id = data.get("update_id")
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("telegram_update_malformed", reason="no update_id")
                return False
            if not await self._ledger.claim(update_id):
                log.info("telegram_update_replayed", update_id=update_id)
                return False
            try:
                update = Update.de_json(data, self.application.bot)
            except Exception as exc:
                log.warning("telegram_update_malformed", reason=type(exc).__name__)
                return False
            await self.application.process_update(update)
            return True
        except Exception as exc:  # never let one update break the webhook
            log.error("telegram_update_failed", error=type(exc).__name__)
            return False

    def submit(self, data: object) -> None:
        """Process an update in the background (the webhook answers immediately)."""
        task = asyncio.get_running_loop().create_task(self.process_update(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for updates handed to :meth:`submit`."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    # -- wiring ---------------------------------------------------------------------------

    def _register(self) -> None:
        add = self.application.add_handler
        add(CommandHandler(["start", "link"], self._on_link, filters=_ONLY_MESSAGES))
        commands: dict[str, Callable[[TgUser, str, str], Awaitable[Texts]]] = {
            "help": self._help,
            "pending": self._pending,
            "status": self._status,
            "approve": self._approve,
            "reject": self._reject,
        }
        for name, work in commands.items():
            add(CommandHandler(name, self._as_user(work), filters=_ONLY_MESSAGES))
        add(CallbackQueryHandler(self._on_button))
        add(MessageHandler(_ONLY_MESSAGES & filters.REPLY & filters.TEXT, self._on_reply))
        add(MessageHandler(_ONLY_MESSAGES, self._on_other))
        self.application.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: Context) -> None:
        log.error("telegram_handler_failed", error=repr(context.error))

    async def _reply(self, chat_id: int, body: str, *, force_reply: bool = False) -> None:
        try:
            await with_retry_after(
                lambda: self.api.send_message(chat_id, body, force_reply=force_reply),
                sleep=self._sleep,
                max_wait=10.0,
            )
        except BotDeliveryError as exc:
            log.warning("telegram_reply_failed", chat_id=chat_id, error=str(exc))

    async def _answer(self, query: CallbackQuery, body: str, *, alert: bool = False) -> None:
        try:
            await self.api.answer_callback_query(query.id, body, show_alert=alert)
        except BotDeliveryError as exc:
            log.warning("telegram_answer_failed", error=str(exc))

    async def _guarded(self, chat_id: int, work: Callable[[], Awaitable[Texts]]) -> None:
        try:
            replies = await work()
        except DeskError as exc:
            replies = [text.error_text(exc.message)]
        except Exception as exc:
            log.error("telegram_command_failed", chat_id=chat_id, error=repr(exc))
            replies = [text.error_text(_GENERIC_FAILURE)]
        for body in replies:
            await self._reply(chat_id, body)

    async def _private_user(self, message: Message) -> TgUser | None:
        """The linked user of a private chat; replies with a refusal and returns None."""
        if message.chat.type != ChatType.PRIVATE:
            if message.text and message.text.startswith("/"):
                await self._reply(message.chat_id, text.PRIVATE_ONLY_TEXT)
            return None
        user = await self._desk.user_for_chat(message.chat_id)
        if user is None:
            await self._reply(message.chat_id, text.UNLINKED_TEXT)
        return user

    def _as_user(
        self, work: Callable[[TgUser, str, str], Awaitable[Texts]]
    ) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        async def handler(update: Update, context: Context) -> None:
            message = update.message
            if message is None or message.text is None:
                return
            user = await self._private_user(message)
            if user is None:
                return
            body = message.text
            await self._guarded(message.chat_id, lambda: work(user, *split_command(body)))

        return handler

    # -- commands -------------------------------------------------------------------------

    async def _on_link(self, update: Update, context: Context) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        if message.chat.type != ChatType.PRIVATE:
            await self._reply(message.chat_id, text.PRIVATE_ONLY_TEXT)
            return

        async def work() -> Texts:
            code = parse_link_code(split_command(message.text or "")[1])
            if code is None:
                user = await self._desk.user_for_chat(message.chat_id)
                if user is None:
                    return [text.UNLINKED_TEXT]
                return [f"Welcome back, {escape(user.display_name)}.\n{text.HELP_TEXT}"]
            user = await self._desk.link(code, message.chat_id)
            return [
                f"Linked: this chat now acts as <b>{escape(user.username)}</b> on Desk.\n"
                f"{text.HELP_TEXT}"
            ]

        await self._guarded(message.chat_id, work)

    async def _help(self, user: TgUser, name: str, rest: str) -> Texts:
        return [text.HELP_TEXT]

    async def _pending(self, user: TgUser, name: str, rest: str) -> Texts:
        limit = parse_limit(rest)
        return text.pending_texts(await self._desk.pending(user, limit), limit)

    async def _status(self, user: TgUser, name: str, rest: str) -> Texts:
        return [text.status_text(await self._desk.status(user, parse_status(rest)))]

    async def _approve(self, user: TgUser, name: str, rest: str) -> Texts:
        command = parse_decision(rest, TgDecision.APPROVE)
        outcome = await self._desk.decide(
            user, command.request_ref, command.decision, command.reason
        )
        return [text.outcome_text(outcome)]

    async def _reject(self, user: TgUser, name: str, rest: str) -> Texts:
        command = parse_decision(rest, TgDecision.REJECT)
        outcome = await self._desk.decide(
            user, command.request_ref, command.decision, command.reason
        )
        return [text.outcome_text(outcome)]

    async def _on_reply(self, update: Update, context: Context) -> None:
        """A reply to our "Why reject …?" prompt rejects with that reason."""
        message = update.message
        prompt = message.reply_to_message if message is not None else None
        match = None
        if (
            prompt is not None
            and prompt.from_user is not None
            and prompt.text is not None
            and prompt.from_user.id == self.application.bot.id
        ):
            match = _REASON_PROMPT_RE.match(prompt.text)
        if message is None or match is None:
            await self._on_other(update, context)
            return
        user = await self._private_user(message)
        if user is None:
            return
        request_id = match.group(1)

        async def work() -> Texts:
            reason = parse_reason(message.text or "")
            if reason is None:
                raise ValidationError("A rejection needs a reason.", fields={"reason": "empty"})
            outcome = await self._desk.decide(user, request_id, TgDecision.REJECT, reason)
            return [text.outcome_text(outcome)]

        await self._guarded(message.chat_id, work)

    async def _on_other(self, update: Update, context: Context) -> None:
        message = update.message
        if message is None:
            return
        user = await self._private_user(message)
        if user is not None:
            await self._reply(message.chat_id, "I didn't understand that. Send /help.")

    # -- inline buttons -------------------------------------------------------------------

    async def _on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        user = await self._desk.user_for_chat(query.from_user.id)
        if user is None:
            await self._answer(query, "This chat is not linked to a Desk account.", alert=True)
            return
        try:
            await self._decide_from_button(query, user)
        except DeskError as exc:
            await self._answer(query, exc.message, alert=True)
        except Exception as exc:
            log.error("telegram_button_failed", error=repr(exc))
            await self._answer(query, _GENERIC_FAILURE, alert=True)

    async def _decide_from_button(self, query: CallbackQuery, user: TgUser) -> None:
        signed = self._signer.parse(query.data or "")
        request_id = signed.ref
        if signed.ref_may_be_truncated:
            request_id = (await self._desk.status(user, signed.ref)).request.id
        if not self._signer.verify(signed, request_id, user.chat_id):
            raise ForgedCallbackError(
                "This button could not be verified for you; nothing was changed.",
                fields={"callback_data": "signature mismatch"},
            )
        if signed.decision is TgDecision.REJECT:
            status = await self._desk.status(user, request_id)
            if status.state != "pending":
                await self._answer(query, f"This request is already {status.state}.", alert=True)
                return
            await self._answer(query, "Send the reason for rejecting as a reply.")
            prompt = REASON_PROMPT.format(request_id=request_id)
            await self._reply(user.chat_id, escape(prompt), force_reply=True)
            return
        outcome = await self._desk.decide(user, request_id, TgDecision.APPROVE, None)
        await self._answer(query, outcome.message)
        await self._mark_decided(query, user, request_id, outcome.message)

    async def _mark_decided(
        self, query: CallbackQuery, user: TgUser, request_id: str, note: str
    ) -> None:
        """Show the outcome in the clicked message and remove its buttons."""
        message = query.message
        if message is None or not isinstance(message, Message):
            return
        try:
            status = await self._desk.status(user, request_id)
            body = text.closed_text(status.request, status.state, note)
            await self.api.edit_message_text(message.chat_id, message.message_id, body)
        except (DeskError, BotDeliveryError) as exc:
            log.warning("telegram_edit_after_decision_failed", error=str(exc))
