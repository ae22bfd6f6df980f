"""Inline buttons, replays and malformed updates through the real PTB and the fake Bot API."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import pytest

from desk.domain.telegram import TgDecision

from .conftest import ASHA, RAVI, REQ_A, REQ_C
from .updates import callback, message

pytestmark = pytest.mark.anyio


def buttons(fake_api, chat_id: int) -> tuple[int, dict[str, str]]:
    """The notification message in ``chat_id`` and its buttons' data by label."""
    [(key, stored)] = [
        (k, m)
        for k, m in fake_api.fake.messages.items()
        if k[0] == chat_id
        and isinstance(m.get("reply_markup"), dict)
        and "inline_keyboard" in m["reply_markup"]
    ]
    row = stored["reply_markup"]["inline_keyboard"][0]
    return key[1], {b["text"].split()[-1]: b["callback_data"] for b in row}


def answers(fake_api) -> list[dict[str, Any]]:
    return [c.params for c in fake_api.fake.calls_to("answerCallbackQuery")]


async def notify(desk, notifier, request_id: str, *users: str) -> None:
    notifier_, outbox, _ = notifier
    notifier_.request_created(
        desk.summary(desk.requests[request_id]), [desk.tg_user(u) for u in users]
    )
    await outbox.join()


async def test_two_approvers_reach_quorum_by_buttons(bot, fake_api, desk, notifier) -> None:
    await notify(desk, notifier, REQ_A, "u-asha", "u-ravi")
    asha_msg, asha_buttons = buttons(fake_api, ASHA)
    ravi_msg, ravi_buttons = buttons(fake_api, RAVI)
    assert all(len(d.encode()) <= 64 for d in [*asha_buttons.values(), *ravi_buttons.values()])
    text = html.unescape(fake_api.fake.messages[(ASHA, asha_msg)]["text"])
    assert "BUY 10 × NSE:INFY @ ₹1,520.50" in text and "Value: ₹15,205.00" in text
    assert "Decide by: 25 Nov 2026, 10:00 IST" in text and "Quorum: 0 of 2" in text

    results = await asyncio.gather(
        bot.process_update(callback(ASHA, asha_buttons["Approve"], message_id=asha_msg)),
        bot.process_update(callback(RAVI, ravi_buttons["Approve"], message_id=ravi_msg)),
    )
    assert results == [True, True]
    assert desk.transitions == [(REQ_A, "pending", "approved")]
    assert sorted(d.approver for _, d in desk.requests[REQ_A].decisions) == ["asha", "ravi"]
    texts = sorted(a["text"] for a in answers(fake_api))
    assert texts == ["Approved: quorum reached.", "Your approval is recorded (1 of 2)."]
    # The clicked messages now show the outcome and have no buttons left.
    for chat, msg in [(ASHA, asha_msg), (RAVI, ravi_msg)]:
        assert fake_api.fake.messages[(chat, msg)]["reply_markup"] is None
    # A second press changes nothing and says why.
    assert await bot.process_update(callback(ASHA, asha_buttons["Approve"], message_id=asha_msg))
    assert "already approved" in answers(fake_api)[-1]["text"]
    assert desk.transitions == [(REQ_A, "pending", "approved")]


async def test_forged_callback_data_is_rejected(bot, fake_api, desk, notifier) -> None:
    await notify(desk, notifier, REQ_C, "u-asha")
    _, asha_buttons = buttons(fake_api, ASHA)
    good = asha_buttons["Approve"]
    sig = good.rsplit(":", 1)[1]
    flipped = ("B" if sig[0] != "B" else "C") + sig[1:]
    forged = {
        "someone else's button": (RAVI, good),
        "tampered signature": (ASHA, good.rsplit(":", 1)[0] + ":" + flipped),
        "approve turned into reject": (ASHA, "r" + good[1:]),
        "other request": (ASHA, good.replace(REQ_C, REQ_A)),
        "legacy format": (ASHA, "approve:7"),
    }
    for label, (who, data) in forged.items():
        assert await bot.process_update(callback(who, data)), label
        last = answers(fake_api)[-1]
        assert last["show_alert"] is True, label
        assert "could not be verified" in last["text"], (label, last)
    assert await bot.process_update(callback(ASHA, "a9:" + good.split(":", 1)[1]))
    assert "out of date" in answers(fake_api)[-1]["text"]
    assert desk.requests[REQ_C].decisions == [] and desk.transitions == []
    assert "decide" not in desk.calls


async def test_reject_button_asks_for_a_reason(bot, fake_api, desk, notifier) -> None:
    await notify(desk, notifier, REQ_C, "u-asha")
    msg_id, asha_buttons = buttons(fake_api, ASHA)
    assert await bot.process_update(callback(ASHA, asha_buttons["Reject"], message_id=msg_id))
    assert answers(fake_api)[-1]["text"] == "Send the reason for rejecting as a reply."
    prompt_call = fake_api.fake.calls_to("sendMessage")[-1]
    assert prompt_call.params["reply_markup"]["force_reply"] is True
    assert desk.requests[REQ_C].decisions == []

    prompt = {
        "message_id": 77,
        "date": 1_764_043_200,
        "chat": {"id": ASHA, "type": "private"},
        "from": {"id": 999000, "is_bot": True, "first_name": "Desk"},
        "text": html.unescape(prompt_call.params["text"]),
    }
    # A reply to a look-alike message from someone else is not a rejection.
    fake_prompt = prompt | {"from": {"id": 1, "is_bot": True, "first_name": "Other"}}
    assert await bot.process_update(message(ASHA, "bad fill", reply_to=fake_prompt))
    assert desk.requests[REQ_C].decisions == []
    assert await bot.process_update(message(ASHA, "spread   too wide", reply_to=prompt))
    assert desk.transitions == [(REQ_C, "pending", "rejected")]
    assert desk.requests[REQ_C].decisions[0][1].reason == "spread too wide"
    assert "Rejected" in fake_api.fake.sent_texts(ASHA)[-1]


async def test_replayed_update_is_ignored(bot, fake_api, desk) -> None:
    update = message(ASHA, f"/approve {REQ_C[:8]}")
    assert await bot.process_update(update) is True
    assert await bot.process_update(update) is False
    assert len(desk.requests[REQ_C].decisions) == 1
    assert len(fake_api.fake.sent_texts(ASHA)) == 1


async def test_submit_processes_in_the_background(bot, fake_api, desk) -> None:
    bot.submit(message(ASHA, "/pending 1"))
    bot.submit(message(ASHA, "/pending 1") | {"update_id": 1})
    bot.submit({"update_id": 1, "message": {"nonsense": True}})
    await bot.drain()
    assert len(fake_api.fake.sent_texts(ASHA)) == 2


async def test_unlinked_button_press_is_refused(bot, fake_api, desk, signer) -> None:
    data = signer.sign(TgDecision.APPROVE, REQ_C, 7777)
    assert await bot.process_update(callback(7777, data))
    assert "not linked" in answers(fake_api)[-1]["text"]
    assert "decide" not in desk.calls


async def test_malformed_updates_never_raise(bot, fake_api, desk) -> None:
    for junk in [
        "not a dict",
        None,
        {},
        {"update_id": "7"},
        {"update_id": True},
        {"update_id": 8, "message": {"text": "/pending"}},
        {"update_id": 9, "message": "nonsense"},
        {"update_id": 10, "callback_query": {"id": "x"}},
        {"update_id": 11, "my_chat_member": {}},
    ]:
        await bot.process_update(junk)
    edited = message(ASHA, f"/approve {REQ_C[:8]}")
    edited["edited_message"] = edited.pop("message")
    assert await bot.process_update(edited)
    assert desk.requests[REQ_C].decisions == []
    assert fake_api.fake.sent_texts() == []
