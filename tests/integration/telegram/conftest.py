from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from desk.adapters.telegram import (
    CallbackSigner,
    InMemoryMessageLog,
    Outbox,
    TelegramBot,
    TelegramNotifier,
    build_application,
)
from desk.adapters.telegram.fake_bot_api import RunningFakeBotApi, run_fake_bot_api
from desk.domain.clock import FixedClock

from .fake_desk import FakeApprovalDesk

ASHA, RAVI, MEERA, NEW = 4242, 4343, 4444, 4545
SECRET = "webhook-secret-for-tests_0123456789"
T0 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
REQ_A = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
REQ_B = "a1b2ffff00001111222233334444aaaa"  # shares the "a1b2" prefix with REQ_A
REQ_C = "c0ffee00112233445566778899aabbcc"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def fake_server() -> Iterator[RunningFakeBotApi]:
    with run_fake_bot_api() as running:
        yield running


@pytest.fixture
def fake_api(fake_server: RunningFakeBotApi) -> RunningFakeBotApi:
    fake_server.fake.reset()
    return fake_server


@pytest.fixture
def desk() -> FakeApprovalDesk:
    d = FakeApprovalDesk(FixedClock(T0))
    d.add_user("u-asha", "asha", ASHA)
    d.add_user("u-ravi", "ravi", RAVI)
    d.add_user("u-meera", "meera", MEERA)
    d.add_user("u-new", "newbie")
    d.codes["LinkCode_0001"] = "u-new"
    both = {"u-asha", "u-ravi"}
    d.add_request(REQ_A, both, proposer="u-meera")
    d.add_request(REQ_B, both)
    d.add_request(REQ_C, both)
    return d


@pytest.fixture
def signer() -> CallbackSigner:
    return CallbackSigner(SECRET)


@pytest.fixture
async def bot(
    fake_api: RunningFakeBotApi, desk: FakeApprovalDesk, signer: CallbackSigner
) -> AsyncIterator[TelegramBot]:
    app = build_application(fake_api.fake.token, base_url=fake_api.base_url)
    telegram_bot = TelegramBot(app, desk, signer)
    await telegram_bot.start()
    try:
        yield telegram_bot
    finally:
        await telegram_bot.stop()


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def notifier(
    bot: TelegramBot, signer: CallbackSigner, sleeps: RecordingSleep
) -> AsyncIterator[tuple[TelegramNotifier, Outbox, InMemoryMessageLog]]:
    outbox = Outbox(sleep=sleeps, min_interval=0)
    log = InMemoryMessageLog()
    await outbox.start()
    try:
        yield TelegramNotifier(bot.api, log, signer, outbox), outbox, log
    finally:
        await outbox.stop()
