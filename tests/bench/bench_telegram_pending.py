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
ROUNDS = 100


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


def fake_desk() -> FakeApprovalDesk:
    desk = FakeApprovalDesk(FixedClock(datetime(2026, 11, 25, 4, 0, tzinfo=UTC)))
    desk.add_user("u-asha", "asha", CHAT)
    for i in range(1000):
        desk.add_request(f"{i:032x}", {"u-asha", "u-ravi"})
    return desk


def real_desk(tmp: str) -> tuple[object, object]:
    """The real approvals service on DuckDB with 1,000 trade requests pending for asha."""
    from desk.adapters.crypto import generate_key
    from desk.bootstrap import bootstrap
    from desk.domain.users import Actor, Channel
    from desk.services import agents, approvals, users
    from desk.services.telegram_desk import ServiceApprovalDesk
    from desk.services.transactions import atomically
    from desk.settings import DeskSettings

    root = Actor.system(channel=Channel.CLI, label="bench")
    settings = DeskSettings(
        _env_file=None, home=Path(tmp), database_url=f"duckdb:///{tmp}/t.duckdb",
        secret_keys=generate_key(),
    )  # fmt: skip
    rt = bootstrap(settings, upgrade=True)
    owner, asha, ravi = (
        Actor.of(users.create_user(rt, root, n), Channel.API) for n in ("owner", "asha", "ravi")
    )
    users.set_chat_id(rt, root, "asha", CHAT)
    cfg = {"model": "m/x", "system_prompt": "p", "universe": ["NSE:INFY"], "quorum": 2,
           "approval_channels": ["telegram", "api"], "approval_timeout_minutes": 6000}  # fmt: skip
    approver_ids = [asha.user_id or "", ravi.user_id or ""]
    agent = agents.create_agent(rt, owner, name="bench", config=cfg, approvers=approver_ids).agent
    promo = agents.request_promotion(rt, owner, agent.id, 1)
    approvals.decide(rt, asha, promo.id, "approve")
    approvals.decide(rt, ravi, promo.id, "approve")
    for i in range(1000):
        atomically(rt, lambda uow, i=i: approvals.open_trade_request(
            rt, uow, agent_id=agent.id, subject_id=f"p{i}", proposer_id=owner.user_id or "",
            details={"instrument": "NSE:INFY", "side": "BUY", "quantity": 10, "price": "1500",
                     "value_paise": 1_500_000, "rationale": "bench", "risk": []}))  # fmt: skip
    return ServiceApprovalDesk(rt), rt


async def run(limit_text: str, desk: object, label_suffix: str) -> None:
    with run_fake_bot_api() as fake:
        app = build_application(fake.fake.token, base_url=fake.base_url)
        bot = TelegramBot(app, desk, CallbackSigner("bench-secret-0123456789"))  # type: ignore[arg-type]
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
    label = f"/pending {limit_text or '(10)'} {label_suffix}"
    print(
        f"{label:16} total p50 {pct(total, 50):6.2f} ms  p99 {pct(total, 99):6.2f} ms | "
        f"without the fake p50 {pct(own, 50):6.2f} ms  p99 {pct(own, 99):6.2f} ms"
    )


if __name__ == "__main__":
    import tempfile

    for limit in ("", "50"):
        asyncio.run(run(limit, fake_desk(), "[fake desk]"))
    with tempfile.TemporaryDirectory() as tmp:
        desk, rt = real_desk(tmp)
        for limit in ("", "50"):
            asyncio.run(run(limit, desk, "[real desk, DuckDB]"))
        rt.close()  # type: ignore[attr-defined]
