"""The bot over the REAL approvals services (DuckDB): linking, commands, buttons, one approval."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from desk.adapters.telegram import (
    CallbackSigner,
    InMemoryMessageLog,
    Outbox,
    TelegramBot,
    TelegramNotifier,
    build_application,
)
from desk.adapters.telegram.fake_bot_api import RunningFakeBotApi
from desk.bootstrap import Runtime
from desk.domain.approval_model import RequestState
from desk.services import approvals, audit, users
from desk.services.ports.events import DomainEvent
from desk.services.telegram_desk import ServiceApprovalDesk, summarize
from tests.integration.conftest import ROOT, People, make_agent, open_trade, promote_to_paper

from .conftest import SECRET
from .test_buttons import answers, buttons
from .updates import callback, message

pytestmark = pytest.mark.anyio
ASHA_CHAT, VIKRAM_CHAT, OUTSIDER_CHAT = 7001, 7002, 7003


@pytest.fixture
def store_url(duckdb_url: str) -> str:  # DuckDB is enough here; the services are tested on both
    return duckdb_url


@pytest.fixture
async def live_bot(fake_api: RunningFakeBotApi, runtime: Runtime) -> AsyncIterator[TelegramBot]:
    app = build_application(fake_api.fake.token, base_url=fake_api.base_url)
    bot = TelegramBot(app, ServiceApprovalDesk(runtime), CallbackSigner(SECRET))
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def promote_to_paper_via(rt: Runtime, p: People, agent_id: str) -> None:
    """Promotion requests are decided under the candidate config: telegram only here."""
    from desk.domain.users import Channel
    from desk.services import agents

    request = agents.request_promotion(rt, p.owner, agent_id, 1)
    for actor in (p.a1, p.a2):
        approvals.decide(rt, replace(actor, channel=Channel.TELEGRAM), request.id, "approve")


def _link(rt: Runtime, username: str, chat: int) -> None:
    users.set_chat_id(rt, ROOT, username, chat)


async def test_link_then_commands_act_as_the_user(
    live_bot: TelegramBot, fake_api: RunningFakeBotApi, runtime: Runtime, people: People
) -> None:
    _, code = users.create_link_code(runtime, people.a1)
    await live_bot.process_update(message(ASHA_CHAT, f"/start {code}"))
    assert users.get_user(runtime, people.a1.user_id or "").telegram_chat_id == ASHA_CHAT
    agent_id = make_agent(runtime, people)  # decisions through telegram are not enabled
    promote_to_paper(runtime, people, agent_id)
    request = open_trade(runtime, people, agent_id)
    await live_bot.process_update(message(ASHA_CHAT, f"/approve {request.id[:8]}"))
    assert "not enabled" in fake_api.fake.sent_texts(ASHA_CHAT)[-1]
    agent_id = make_agent(runtime, people, name="tg-agent", approval_channels=["telegram"])
    promote_to_paper_via(runtime, people, agent_id)
    request = open_trade(runtime, people, agent_id)
    await live_bot.process_update(message(ASHA_CHAT, "/pending"))
    assert request.id[:8] in fake_api.fake.sent_texts(ASHA_CHAT)[-1]
    await live_bot.process_update(message(ASHA_CHAT, f"/approve {request.id[:8]} fine by me"))
    detail = approvals.get_request(runtime, people.owner, request.id)
    assert [(d.channel.value, d.reason) for d in detail.decisions] == [("telegram", "fine by me")]
    await live_bot.process_update(message(ASHA_CHAT, f"/approve {request.id[:8]}"))
    assert "already decided" in fake_api.fake.sent_texts(ASHA_CHAT)[-1]
    await live_bot.process_update(message(OUTSIDER_CHAT, "/pending"))
    assert "link" in fake_api.fake.sent_texts(OUTSIDER_CHAT)[-1].lower()
    assert audit.verify(runtime).ok


async def test_two_approvers_by_buttons_make_one_approval(
    live_bot: TelegramBot, fake_api: RunningFakeBotApi, runtime: Runtime, people: People
) -> None:
    _link(runtime, "asha", ASHA_CHAT)
    _link(runtime, "vikram", VIKRAM_CHAT)
    agent_id = make_agent(runtime, people, approval_channels=["telegram", "api"])
    promote_to_paper(runtime, people, agent_id)
    approved: list[DomainEvent] = []
    runtime.events.subscribe(
        lambda e: approved.append(e) if e.data.get("state") == "approved" else None
    )
    request = open_trade(runtime, people, agent_id)
    outbox = Outbox(min_interval=0)
    await outbox.start()
    try:
        notifier = TelegramNotifier(
            live_bot.api, InMemoryMessageLog(), CallbackSigner(SECRET), outbox
        )
        desk = ServiceApprovalDesk(runtime)
        summary = summarize(approvals.get_request(runtime, people.owner, request.id))
        recipients = [await desk.user_for_chat(ASHA_CHAT), await desk.user_for_chat(VIKRAM_CHAT)]
        notifier.request_created(summary, [r for r in recipients if r is not None])
        await outbox.join()
        asha_msg, asha_buttons = buttons(fake_api, ASHA_CHAT)
        vikram_msg, vikram_buttons = buttons(fake_api, VIKRAM_CHAT)
        await asyncio.gather(
            live_bot.process_update(
                callback(ASHA_CHAT, asha_buttons["Approve"], message_id=asha_msg)
            ),
            live_bot.process_update(
                callback(VIKRAM_CHAT, vikram_buttons["Approve"], message_id=vikram_msg)
            ),
        )
    finally:
        await outbox.stop()
    detail = approvals.get_request(runtime, people.owner, request.id)
    assert detail.request.state is RequestState.APPROVED and detail.progress == "2 of 2"
    assert len(approved) == 1
    assert any("now approved (2 of 2)" in a["text"] for a in answers(fake_api))
