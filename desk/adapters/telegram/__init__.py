"""Telegram approvals: the bot (webhook mode), notifications, webhook checks and a fake Bot API.

Wiring (done by the lead's bootstrap)::

    app = build_application(token, base_url=...)
    signer = CallbackSigner(webhook_secret)
    bot = TelegramBot(app, desk, signer, ledger=...)          # await bot.start()
    outbox = Outbox(); await outbox.start()
    notifier = TelegramNotifier(bot.api, InMemoryMessageLog(), signer, outbox)
    gate = WebhookGate(webhook_secret)                         # in the FastAPI route
"""

from desk.adapters.telegram.bot import TelegramBot, build_application
from desk.adapters.telegram.bot_api import PtbBotApi
from desk.adapters.telegram.callback_data import CallbackSigner
from desk.adapters.telegram.memory import InMemoryMessageLog, InMemoryUpdateLedger
from desk.adapters.telegram.notifier import TelegramNotifier
from desk.adapters.telegram.outbox import Outbox
from desk.adapters.telegram.webhook import WebhookAction, WebhookGate, WebhookVerdict

__all__ = [
    "CallbackSigner",
    "InMemoryMessageLog",
    "InMemoryUpdateLedger",
    "Outbox",
    "PtbBotApi",
    "TelegramBot",
    "TelegramNotifier",
    "WebhookAction",
    "WebhookGate",
    "WebhookVerdict",
    "build_application",
]
