"""The notifier: off the request path, 429-aware, editing messages as the request moves on."""

from __future__ import annotations

import html
import re

import pytest

from .conftest import ASHA, MEERA, RAVI, REQ_A, SECRET

pytestmark = [
    pytest.mark.anyio,
    # PTB's own RetryAfter.__init__ reads the deprecated int form (PTB_TIMEDELTA=1 silences it).
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
]


def has_buttons(fake_api, chat_id: int) -> bool:
    [stored] = [m for k, m in fake_api.fake.messages.items() if k[0] == chat_id]
    markup = stored.get("reply_markup")
    return isinstance(markup, dict) and "inline_keyboard" in markup


def text_in(fake_api, chat_id: int) -> str:
    [stored] = [m for k, m in fake_api.fake.messages.items() if k[0] == chat_id]
    return html.unescape(re.sub(r"<[^>]+>", "", stored["text"]))


async def test_429_then_success_honours_retry_after(fake_api, desk, notifier, sleeps) -> None:
    notifier_, outbox, log = notifier
    fake_api.fake.fail_next("sendMessage", retry_after=3)
    notifier_.request_created(desk.summary(desk.requests[REQ_A]), [desk.tg_user("u-asha")])
    assert fake_api.fake.calls_to("sendMessage") == []  # queued, not sent on the caller's path
    await outbox.join()
    assert [c.status for c in fake_api.fake.calls_to("sendMessage")] == [429, 200]
    assert sleeps.waits == [3.0]
    assert [m.chat_id for m in await log.messages(REQ_A)] == [ASHA]
    assert outbox.delivered == 1 and outbox.dropped == 0


async def test_a_blocked_chat_does_not_stop_the_others(fake_api, desk, notifier) -> None:
    notifier_, outbox, log = notifier
    fake_api.fake.fail_next(
        "sendMessage",
        status=403,
        retry_after=None,
        description="Forbidden: bot was blocked by the user",
    )
    users = [desk.tg_user("u-asha"), desk.tg_user("u-ravi")]
    notifier_.request_created(desk.summary(desk.requests[REQ_A]), users)
    await outbox.join()
    assert [m.chat_id for m in await log.messages(REQ_A)] == [RAVI]
    assert outbox.dropped == 1


async def test_progress_close_and_execution_edit_the_messages(fake_api, desk, notifier) -> None:
    notifier_, outbox, log = notifier
    request = desk.requests[REQ_A]
    users = [desk.tg_user("u-asha"), desk.tg_user("u-ravi"), desk.tg_user("u-asha")]
    notifier_.request_created(desk.summary(request), users)
    await outbox.join()
    assert len(fake_api.fake.calls_to("sendMessage")) == 2  # one per chat

    notifier_.request_progressed(desk.summary(request), decided_chat_ids={ASHA})
    await outbox.join()
    assert not has_buttons(fake_api, ASHA) and has_buttons(fake_api, RAVI)
    assert "You have decided" in text_in(fake_api, ASHA)

    notifier_.request_closed(desk.summary(request), "approved", "Approved on the dashboard.")
    await outbox.join()
    for chat in (ASHA, RAVI):
        assert not has_buttons(fake_api, chat)
        assert text_in(fake_api, chat).startswith("Approved")
        assert "Approved on the dashboard." in text_in(fake_api, chat)
    assert len(await log.messages(REQ_A)) == 2  # still tracked until a final state

    notifier_.request_closed(desk.summary(request), "executed", "Order filled at ₹1,520.40.")
    notifier_.request_closed(desk.summary(request), "executed", "Order filled at ₹1,520.40.")
    await outbox.join()
    assert text_in(fake_api, RAVI).startswith("Executed")
    assert await log.messages(REQ_A) == []
    assert outbox.dropped == 0


async def test_escalation_notifies_the_escalation_approvers(fake_api, desk, notifier) -> None:
    notifier_, outbox, log = notifier
    summary = desk.summary(desk.requests[REQ_A])
    notifier_.request_created(summary, [desk.tg_user("u-asha")])
    notifier_.request_escalated(summary, [desk.tg_user("u-meera"), desk.tg_user("u-asha")])
    await outbox.join()
    assert sorted(m.chat_id for m in await log.messages(REQ_A)) == [ASHA, MEERA]
    for chat in (ASHA, MEERA):
        assert text_in(fake_api, chat).startswith("Escalated: approval needed")
        assert has_buttons(fake_api, chat)


async def test_webhook_registration_through_ptb(bot, fake_api) -> None:
    ptb = bot.application.bot
    url = f"https://desk.example.com/api/v1/telegram/webhook/{SECRET}/"
    assert await ptb.set_webhook(
        url, secret_token=SECRET, allowed_updates=["message", "callback_query"]
    )
    info = await ptb.get_webhook_info()
    assert info.url == url and info.allowed_updates == ("message", "callback_query")
    assert fake_api.fake.webhook["secret_token"] == SECRET
    assert await ptb.delete_webhook()
    assert (await ptb.get_webhook_info()).url == ""
