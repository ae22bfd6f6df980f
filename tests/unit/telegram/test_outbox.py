from __future__ import annotations

import pytest

from desk.adapters.telegram.memory import InMemoryMessageLog, InMemoryUpdateLedger
from desk.adapters.telegram.outbox import Outbox, with_retry_after
from desk.domain.telegram import SentMessage
from desk.services.ports.telegram import BotDeliveryError, BotRateLimitedError

pytestmark = pytest.mark.anyio


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Flaky:
    """Fails with the given errors first, then succeeds; records successes."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.done: list[str] = []

    def job(self, label: str):
        async def run() -> None:
            if self.errors:
                raise self.errors.pop(0)
            self.done.append(label)

        return run


async def test_retry_after_then_success() -> None:
    sleeps, flaky = Sleeps(), Flaky(BotRateLimitedError(2), BotRateLimitedError(1.5))
    outbox = Outbox(sleep=sleeps, min_interval=0)
    await outbox.start()
    outbox.put("one", flaky.job("one"))
    outbox.put("two", flaky.job("two"))
    await outbox.stop()
    assert flaky.done == ["one", "two"] and sleeps.waits == [2, 1.5]
    assert (outbox.delivered, outbox.dropped) == (2, 0)


async def test_gives_up_on_long_waits_too_many_429s_and_refusals() -> None:
    sleeps = Sleeps()
    outbox = Outbox(sleep=sleeps, min_interval=0, max_attempts=2, max_wait=60)
    flaky = Flaky(
        BotRateLimitedError(600),
        BotRateLimitedError(1),
        BotRateLimitedError(1),
        BotDeliveryError("blocked"),
        RuntimeError("bug"),
    )
    await outbox.start()
    for label in ["a", "b", "c", "d", "e"]:
        outbox.put(label, flaky.job(label))
    await outbox.stop()
    # a: wait too long; b: 429 twice; c: refused; d: a bug; e: delivered.
    assert flaky.done == ["e"]
    assert sleeps.waits == [1]
    assert (outbox.delivered, outbox.dropped) == (1, 4)


async def test_full_queue_drops_instead_of_blocking() -> None:
    outbox = Outbox(queue_size=1, min_interval=0)
    assert outbox.put("a", Flaky().job("a"))
    assert not outbox.put("b", Flaky().job("b"))
    assert outbox.dropped == 1


async def test_with_retry_after_reraises_at_the_limit() -> None:
    sleeps = Sleeps()

    async def always() -> int:
        raise BotRateLimitedError(1)

    with pytest.raises(BotRateLimitedError):
        await with_retry_after(always, sleep=sleeps, max_attempts=3)
    assert sleeps.waits == [1, 1]


async def test_update_ledger_is_a_bounded_lru() -> None:
    ledger = InMemoryUpdateLedger(size=3)
    assert [await ledger.claim(i) for i in (1, 2, 3)] == [True] * 3
    assert await ledger.claim(1) is False  # 1 becomes most recent
    assert await ledger.claim(4) is True  # evicts 2
    assert len(ledger) == 3
    assert await ledger.claim(3) is False
    assert await ledger.claim(2) is True


async def test_message_log() -> None:
    log = InMemoryMessageLog()
    await log.add("r", SentMessage(1, 10))
    await log.add("r", SentMessage(1, 10))
    await log.add("r", SentMessage(2, 11))
    assert await log.messages("r") == [SentMessage(1, 10), SentMessage(2, 11)]
    await log.forget("r")
    assert await log.messages("r") == []
