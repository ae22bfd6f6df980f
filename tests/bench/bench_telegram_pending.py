"""Benchmark: Telegram ``/pending`` latency, update in → reply sent, with 1,000 pending requests.

Run: ``uv run python tests/bench/bench_telegram_pending.py`` (not collected by pytest). Drives the
real python-telegram-bot against the fake Bot API (127.0.0.1) and the in-memory FakeApprovalDesk
of the integration tests. Prints p50/p99 of the whole ``process_update`` and of the same minus
the time spent inside ``sendMessage`` round trips to the fake (goal: p50 ≤ 25 ms without it).
The real desk's query time is not included here.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "telegram"))

from fake_desk import FakeApprovalDesk  # noqa: E402
from updates import message  # noqa: E402

from desk.adapters.telegram import CallbackSigner, TelegramBot, build_application  # noqa: E402
from desk.adapters.telegram.fake_bot_api import run_fake_bot_api  # noqa: E402
from desk.domain.clock import FixedClock  # noqa: E402
from desk.domain.telegram import InlineKeyboard, SentMessage  # noqa: E402
from desk.services.ports.telegram import BotApi  # noqa: E402

CHAT = 4242
ROUNDS = 300


class TimedApi:
    """Wraps the real BotApi and accumulates the time spent in outgoing calls."""

    def __init__(self, inner: BotApi) -> None:
        self.inner = inner
        self.spent = 0.0

    async def send_message(
        self,
        chat_id: int,
        text: str,
        *,
        keyboard: InlineKeyboard | None = None,
        force_reply: bool = False,
    ) -> SentMessage:
        t = time.perf_counter()
        try:
            return await self.inner.send_message(
                chat_id, text, keyboard=keyboard, force_reply=force_reply
            )
        finally:
            self.spent += time.perf_counter() - t

    async def edit_message_text(self, *args: object, **kwargs: object) -> None:
        await self.inner.edit_message_text(*args, **kwargs)  # type: ignore[arg-type]

    async def answer_callback_query(self, *args: object, **kwargs: object) -> None:
        await self.inner.answer_callback_query(*args, **kwargs)  # type: ignore[arg-type]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


async def run(limit_text: str) -> None:
    desk = FakeApprovalDesk(FixedClock(datetime(2026, 11, 25, 4, 0, tzinfo=UTC)))
    desk.add_user("u-asha", "asha", CHAT)
    for i in range(1000):
        desk.add_request(f"{i:032x}", {"u-asha", "u-ravi"})
    with run_fake_bot_api() as fake:
        app = build_application(fake.fake.token, base_url=fake.base_url)
        bot = TelegramBot(app, desk, CallbackSigner("bench-secret-0123456789"))
        timed = TimedApi(bot.api)
        bot.api = timed
        await bot.start()
        total: list[float] = []
        own: list[float] = []
        for _ in range(ROUNDS):
            update = message(CHAT, f"/pending {limit_text}".strip())
            timed.spent = 0.0
            t = time.perf_counter()
            assert await bot.process_update(update)
            elapsed = time.perf_counter() - t
            total.append(elapsed)
            own.append(elapsed - timed.spent)
        await bot.stop()
    label = f"/pending {limit_text or '(10)'}"
    print(
        f"{label:16} total p50 {pct(total, 50):6.2f} ms  p99 {pct(total, 99):6.2f} ms | "
        f"without the fake p50 {pct(own, 50):6.2f} ms  p99 {pct(own, 99):6.2f} ms"
    )


if __name__ == "__main__":
    for limit in ("", "50"):
        asyncio.run(run(limit))
