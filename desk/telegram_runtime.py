"""Telegram inside the running service: the bot in webhook mode, and approval notifications.

python-telegram-bot is asyncio; the service's domain events arrive on worker threads. This
module runs one event loop thread for the bot and the outbox, does the store reads on the
publishing thread, and hands only ready-made summaries to the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import structlog

from desk.adapters.telegram import (
    CallbackSigner,
    InMemoryMessageLog,
    Outbox,
    TelegramBot,
    TelegramNotifier,
    build_application,
)
from desk.bootstrap import Runtime
from desk.domain.errors import ConfigurationError, DeskError
from desk.domain.telegram import TgUser
from desk.domain.users import Actor, Channel
from desk.services import approvals
from desk.services.kite_login import EXPIRING_TOPIC
from desk.services.ports.events import DomainEvent
from desk.services.telegram_desk import ServiceApprovalDesk, summarize
from desk.services.vault import TOKEN_EXPIRED_TOPIC

log = structlog.get_logger(__name__)
T = TypeVar("T")
SYSTEM = Actor.system(label="telegram")
MIN_SECRET = 16


class TelegramRuntime:
    def __init__(self, rt: Runtime) -> None:
        s = rt.settings
        if s.telegram_bot_token is None or s.telegram_webhook_secret is None:
            raise ConfigurationError(
                "Telegram needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET"
            )
        secret = s.telegram_webhook_secret.get_secret_value()
        if len(secret) < MIN_SECRET:
            raise ConfigurationError(
                f"TELEGRAM_WEBHOOK_SECRET must be at least {MIN_SECRET} characters"
            )
        self._rt = rt
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="desk-telegram", daemon=True
        )
        app = build_application(
            s.telegram_bot_token.get_secret_value(), base_url=s.telegram_api_base
        )
        self._signer = CallbackSigner(secret)
        self.bot = TelegramBot(app, ServiceApprovalDesk(rt), self._signer)
        self.outbox = Outbox()
        self.notifier = TelegramNotifier(
            self.bot.api, InMemoryMessageLog(), self._signer, self.outbox
        )
        self._unsubscribe: Callable[[], None] = _nothing

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=timeout)

    def start(self) -> None:
        self._thread.start()
        self._run(self.bot.start())
        self._run(self.outbox.start())
        self._unsubscribe = self._rt.events.subscribe(self._on_event)

    def stop(self) -> None:
        self._unsubscribe()
        try:
            self._run(self.outbox.stop(), timeout=10)
            self._run(self.bot.stop(), timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def submit(self, update: object) -> None:
        """From the webhook route: acknowledged at once, processed on the bot's loop."""
        self._loop.call_soon_threadsafe(self.bot.submit, update)

    def drain(self) -> None:
        self._run(self.bot.drain())
        self._run(self.outbox.join())

    # --- notifications ----------------------------------------------------------------------
    def _on_event(self, event: DomainEvent) -> None:
        if event.topic in (TOKEN_EXPIRED_TOPIC, EXPIRING_TOPIC):
            label = str(event.data.get("label"))
            text = (
                f"Your Kite session ({label}) has expired: live orders are paused until you "
                "log in again with `desk kite login`."
                if event.topic == TOKEN_EXPIRED_TOPIC
                else f"Your Kite session ({label}) expires at {event.data.get('expires_at')}; "
                "log in again with `desk kite login` to keep live trading."
            )
            self._tell_owner(str(event.data.get("user_id")), text)
            return
        if not event.topic.startswith("approval."):
            return
        try:
            self._notify(event)
        except DeskError as exc:
            log.warning("telegram_notify_skipped", request_id=event.subject_id, error=exc.message)

    def _notify(self, event: DomainEvent) -> None:
        detail = approvals.get_request(self._rt, SYSTEM, event.subject_id)
        if Channel.TELEGRAM not in detail.request.approval_channels:
            return
        summary = summarize(detail)
        topic = event.topic.removeprefix("approval.")
        state = detail.request.state.value
        if topic == "created":
            users = self._linked(detail.request.eligible_approver_ids, detail.request.proposer_id)
            self._later(self.notifier.request_created, summary, users)
        elif topic == "escalated":
            users = self._linked(detail.request.escalation_approver_ids, detail.request.proposer_id)
            self._later(self.notifier.request_escalated, summary, users)
        elif topic == "decided" and state == "pending":
            decided = [
                u.chat_id for u in self._linked([d.approver_id for d in detail.decisions], "")
            ]
            self._later(self.notifier.request_progressed, summary, decided)
        else:
            self._later(self.notifier.request_closed, summary, state, detail.request.state_reason)

    def _linked(self, user_ids: Any, proposer_id: str) -> list[TgUser]:
        found: list[TgUser] = []
        with self._rt.uow(write=False) as uow:
            for user_id in user_ids:
                user = uow.users.get(user_id)
                if user and user.is_active and user.telegram_chat_id and user.id != proposer_id:
                    found.append(
                        TgUser(user.id, user.username, user.display_name, user.telegram_chat_id)
                    )
        return found

    def _tell_owner(self, user_id: str, text: str) -> None:
        linked = self._linked([user_id], "")
        if not linked:
            return
        owner = linked[0]
        self._later(
            self.outbox.put, f"token-expired:{user_id}", _send(self.bot, owner.chat_id, text)
        )

    def _later(self, fn: Any, *args: Any) -> None:
        self._loop.call_soon_threadsafe(fn, *args)


def _nothing() -> None:
    return None


def _send(bot: TelegramBot, chat_id: int, text: str) -> Callable[[], Coroutine[Any, Any, None]]:
    async def job() -> None:
        await bot.api.send_message(chat_id, text)

    return job
