"""The :class:`BotApi` port over python-telegram-bot's ``Bot`` (HTML parse mode, no previews)."""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from desk.domain.telegram import InlineKeyboard, SentMessage
from desk.services.ports.telegram import BotDeliveryError, BotRateLimitedError

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def retry_after_seconds(exc: RetryAfter) -> float:
    """``RetryAfter`` holds an int or a timedelta depending on PTB settings; read it quietly."""
    raw = getattr(exc, "_retry_after", None)
    if raw is None:
        raw = exc.retry_after
    if isinstance(raw, timedelta):
        return raw.total_seconds()
    return float(raw)


def markup(keyboard: InlineKeyboard | None) -> InlineKeyboardMarkup | None:
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in row]
            for row in keyboard
        ]
    )


def _delivery_error(exc: TelegramError) -> BotDeliveryError:
    if isinstance(exc, RetryAfter):
        return BotRateLimitedError(retry_after_seconds(exc))
    return BotDeliveryError(f"Telegram refused the call: {exc.message}")


class PtbBotApi:
    """Outgoing calls through ``telegram.Bot`` (the Application's bot)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_message(
        self,
        chat_id: int,
        text: str,
        *,
        keyboard: InlineKeyboard | None = None,
        force_reply: bool = False,
    ) -> SentMessage:
        reply_markup: InlineKeyboardMarkup | ForceReply | None = markup(keyboard)
        if force_reply:
            reply_markup = ForceReply(selective=True, input_field_placeholder="Reason")
        try:
            message = await self._bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
                link_preview_options=_NO_PREVIEW,
            )
        except TelegramError as exc:
            raise _delivery_error(exc) from exc
        return SentMessage(chat_id=message.chat_id, message_id=message.message_id)

    async def edit_message_text(
        self, chat_id: int, message_id: int, text: str, *, keyboard: InlineKeyboard | None = None
    ) -> None:
        try:
            await self._bot.edit_message_text(
                text=text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(keyboard),
                link_preview_options=_NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            raise _delivery_error(exc) from exc
        except TelegramError as exc:
            raise _delivery_error(exc) from exc

    async def answer_callback_query(
        self, callback_query_id: str, text: str, *, show_alert: bool = False
    ) -> None:
        try:
            await self._bot.answer_callback_query(
                callback_query_id=callback_query_id, text=text[:200], show_alert=show_alert
            )
        except TelegramError as exc:
            raise _delivery_error(exc) from exc
