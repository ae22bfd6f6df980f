"""``desk telegram``: register the webhook with Telegram and show its status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from telegram import Bot

app = typer.Typer(help="Telegram bot: webhook registration and status.", no_args_is_help=True)


def _bot() -> tuple[Bot, str]:
    from telegram import Bot

    from desk.cli.runtime import settings
    from desk.domain.errors import ConfigurationError

    loaded = settings()
    if loaded.telegram_bot_token is None or loaded.telegram_webhook_secret is None:
        raise ConfigurationError("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first")
    bot = Bot(loaded.telegram_bot_token.get_secret_value(), base_url=loaded.telegram_api_base)
    return bot, loaded.telegram_webhook_secret.get_secret_value()


@app.command("set-webhook")
def set_webhook(
    base_url: str = typer.Argument(
        ..., help="Public https URL of this desk, e.g. https://desk.example.com"
    ),
) -> None:
    """Point Telegram at /api/v1/telegram/webhook/<secret>/ with the secret header."""
    import asyncio

    from desk.domain.errors import ValidationError

    if not base_url.startswith("https://"):
        raise ValidationError("Telegram only calls https webhooks", fields={"url": "not https"})
    bot, secret = _bot()
    url = base_url.rstrip("/") + f"/api/v1/telegram/webhook/{secret}/"

    async def go() -> bool:
        async with bot:
            return bool(
                await bot.set_webhook(
                    url, secret_token=secret, allowed_updates=["message", "callback_query"]
                )
            )

    ok = asyncio.run(go())
    typer.echo("webhook set" if ok else "Telegram refused the webhook")
    if not ok:
        raise typer.Exit(1)


@app.command("status")
def status() -> None:
    """Show getWebhookInfo (the URL is shown without its secret)."""
    import asyncio

    bot, secret = _bot()

    async def go() -> dict[str, object]:
        async with bot:
            info = await bot.get_webhook_info()
            return dict(info.to_dict())

    info = asyncio.run(go())
    url = str(info.get("url") or "-").replace(secret, "[secret]")
    typer.echo(f"url: {url}")
    for key in ("pending_update_count", "last_error_message", "last_error_date", "max_connections"):
        if info.get(key) is not None:
            typer.echo(f"{key}: {info[key]}")
