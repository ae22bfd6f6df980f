"""Each command through the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

import html

import pytest

from desk.adapters.telegram import TelegramBot
from desk.adapters.telegram.fake_bot_api import RunningFakeBotApi

from .conftest import ASHA, MEERA, NEW, RAVI, REQ_A, REQ_B, REQ_C
from .fake_desk import FakeApprovalDesk
from .updates import message

pytestmark = pytest.mark.anyio


async def say(bot: TelegramBot, fake: RunningFakeBotApi, chat_id: int, text: str) -> list[str]:
    """Send ``text`` from ``chat_id``; return the bot's replies (HTML-unescaped) to that chat."""
    before = len(fake.fake.sent_texts(chat_id))
    assert await bot.process_update(message(chat_id, text))
    return [html.unescape(t) for t in fake.fake.sent_texts(chat_id)[before:]]


def state(desk: FakeApprovalDesk) -> tuple[object, ...]:
    return tuple((r.id, r.state, len(r.decisions)) for r in desk.requests.values())


async def test_linking_with_start_and_link(bot, fake_api, desk) -> None:
    [refusal] = await say(bot, fake_api, NEW, "/pending")
    assert "not linked" in refusal and "request" not in refusal.lower().replace("requests", "")
    [linked] = await say(bot, fake_api, NEW, "/start LinkCode_0001")
    assert "Linked" in linked and "newbie" in linked
    assert desk.users["u-new"].chat_id == NEW
    # The code is one-time: a second use is refused with a clear message.
    [again] = await say(bot, fake_api, 5656, "/link LinkCode_0001")
    assert "unknown or was already used" in again
    [bad] = await say(bot, fake_api, 5656, "/link not a code")
    assert "does not look like a link code" in bad
    [hello] = await say(bot, fake_api, NEW, "/start")
    assert "Welcome back" in hello


async def test_unlinked_chat_gets_a_refusal_and_nothing_else(bot, fake_api, desk) -> None:
    for text in ["/pending", f"/status {REQ_A}", f"/approve {REQ_A}", "/help", "hello"]:
        [reply] = await say(bot, fake_api, 7777, text)
        assert "not linked to a Desk account" in reply
    assert set(desk.calls) == {"user_for_chat"}
    [start] = await say(bot, fake_api, 7777, "/start")
    assert "not linked" in start


async def test_group_chats_are_refused(bot, fake_api, desk) -> None:
    before = state(desk)
    assert await bot.process_update(
        message(-100123, f"/approve {REQ_A}", from_id=ASHA, chat_type="supergroup")
    )
    assert fake_api.fake.sent_texts(-100123) == [
        "For your security I only work in a private chat with you."
    ]
    assert state(desk) == before


async def test_pending(bot, fake_api, desk) -> None:
    [listing] = await say(bot, fake_api, ASHA, "/pending")
    assert "3 request(s)" in listing
    assert listing.index(REQ_A[:8]) < listing.index(REQ_B[:8]) < listing.index(REQ_C[:8])
    assert "BUY 10 × NSE:INFY @ ₹1,520.50" in listing and "0 of 2" in listing
    [two] = await say(bot, fake_api, ASHA, "/pending 2")
    assert "2 request(s)" in two and REQ_C[:8] not in two
    for bad, why in [("abc", "whole number"), ("0", "from 1 to 50"), ("51", "from 1 to 50")]:
        [reply] = await say(bot, fake_api, ASHA, f"/pending {bad}")
        assert why in reply, reply
    [none] = await say(bot, fake_api, MEERA, "/pending")
    assert "Nothing is waiting" in none


async def test_status(bot, fake_api, desk) -> None:
    [full] = await say(bot, fake_api, ASHA, f"/status {REQ_C[:6]}")
    assert "Pending" in full and REQ_C in full and "No decisions yet" in full
    assert "Value: ₹15,205.00" in full and "Decide by: 25 Nov 2026, 10:00 IST" in full
    raw = fake_api.fake.sent_texts(ASHA)[-1]
    assert "&lt;strong&gt;" in raw and "<strong>" in full  # user text is escaped, shown as is
    cases = {
        "/status": "Usage: /status",
        "/status a1b2": "matches 2 requests",
        "/status ffff0000": "No request",
        "/status ab": "at least 4 characters",
        "/status a1b2c3d4 extra": "Usage",
        "/status <script>": "is not a request id",
    }
    for text, expected in cases.items():
        [reply] = await say(bot, fake_api, ASHA, text)
        assert expected in reply, (text, reply)


async def test_approve_and_bad_approvals(bot, fake_api, desk) -> None:
    before = state(desk)
    cases = {
        "/approve": "Usage: /approve <request id>",
        "/approve a1b2": "matches 2 requests",
        "/approve deadbeef": "No request",
    }
    for text, expected in cases.items():
        [reply] = await say(bot, fake_api, ASHA, text)
        assert expected in reply, (text, reply)
    [denied] = await say(bot, fake_api, MEERA, f"/approve {REQ_A[:8]}")
    assert "not allowed" in denied
    assert state(desk) == before

    [ok] = await say(bot, fake_api, ASHA, f"/approve {REQ_A[:8]} looks   fine")
    assert "recorded (1 of 2)" in ok
    assert desk.requests[REQ_A].decisions[0][1].reason == "looks fine"
    [twice] = await say(bot, fake_api, ASHA, f"/approve {REQ_A[:8]}")
    assert "already decided" in twice
    [done] = await say(bot, fake_api, RAVI, f"/approve {REQ_A}")
    assert "quorum reached" in done and "Approved" in done
    [late] = await say(bot, fake_api, RAVI, f"/reject {REQ_A} too late")
    assert "already approved" in late
    assert desk.transitions == [(REQ_A, "pending", "approved")]


async def test_reject_requires_a_reason(bot, fake_api, desk) -> None:
    [usage] = await say(bot, fake_api, ASHA, "/reject")
    assert "Usage: /reject <request id> <reason>" in usage
    [needs] = await say(bot, fake_api, ASHA, f"/reject {REQ_C[:8]}")
    assert "needs a reason" in needs
    assert desk.requests[REQ_C].decisions == []
    [ok] = await say(bot, fake_api, ASHA, f"/reject {REQ_C[:8]} price ran away")
    assert "Rejected" in ok
    assert desk.transitions == [(REQ_C, "pending", "rejected")]


async def test_help_and_unknown_input(bot, fake_api) -> None:
    [help_text] = await say(bot, fake_api, ASHA, "/help")
    assert "/pending" in help_text and "/reject <id> <reason>" in help_text
    [unknown] = await say(bot, fake_api, ASHA, "/frobnicate")
    assert "didn't understand" in unknown
    [chat] = await say(bot, fake_api, ASHA, "hi there")
    assert "didn't understand" in chat


async def test_bot_username_suffix_is_accepted(bot, fake_api) -> None:
    [reply] = await say(bot, fake_api, ASHA, "/pending@desk_test_bot 1")
    assert "1 request(s)" in reply
