"""Telegram through the running service: the real webhook route, the real bot, the real
approvals and execution, the fake Bot API. Linking, notifications, buttons → one order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from desk.adapters.telegram.fake_bot_api import RunningFakeBotApi
from desk.api.app import create_app
from desk.bootstrap import Runtime, bootstrap
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.approval_model import RequestState
from desk.domain.clock import FixedClock
from desk.services import approvals, proposals, users
from tests.conftest import make_settings
from tests.integration.conftest import ROOT, People, make_agent, promote_to_paper, wait_for
from tests.integration.trading.test_proposals import MARKET, order

from .conftest import SECRET
from .test_buttons import buttons
from .updates import callback, message

HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
ASHA, VIKRAM, ESHA = 9101, 9102, 9103


@pytest.fixture
def store_url(duckdb_url: str) -> str:
    return duckdb_url


@pytest.fixture
def service(
    fake_api: RunningFakeBotApi,
    duckdb_url: str,
    tmp_path: Path,
    secret_keys: str,
    clock: FixedClock,
) -> Iterator[tuple[TestClient, Runtime]]:
    settings = make_settings(
        duckdb_url, tmp_path / "home", secret_keys,
        telegram_bot_token=fake_api.fake.token, telegram_webhook_secret=SECRET,
        telegram_api_base=fake_api.base_url,
    )  # fmt: skip
    rt = bootstrap(settings, clock=clock)
    try:
        with TestClient(create_app(settings, runtime=rt)) as client:
            yield client, rt
    finally:
        rt.close()


def has_buttons(fake_api: RunningFakeBotApi, chat: int, request_id: str) -> bool:
    return any(
        k[0] == chat
        and request_id[:8] in str(m.get("text"))
        and isinstance(m.get("reply_markup"), dict)
        for k, m in list(fake_api.fake.messages.items())
    )


def post(client: TestClient, update: dict[str, object]) -> None:
    response = client.post(f"/api/v1/telegram/webhook/{SECRET}/", json=update, headers=HEADER)
    assert response.status_code == 200, response.text


def test_webhook_to_one_execution(
    service: tuple[TestClient, Runtime], fake_api: RunningFakeBotApi, people: People
) -> None:
    client, rt = service
    proposals.load_instruments(rt, ROOT, INSTRUMENTS_CSV.read_text())
    for actor, chat in ((people.a1, ASHA), (people.a2, VIKRAM)):
        _, code = users.create_link_code(rt, actor)
        post(client, message(chat, f"/start {code}"))
    wait_for(lambda: users.get_user(rt, people.a2.user_id or "").telegram_chat_id == VIKRAM)
    agent_id = make_agent(rt, people, approval_channels=["telegram", "api"])
    promote_to_paper(rt, people, agent_id)
    outcome = proposals.submit_proposal(
        rt, MARKET, people.owner, agent_id, order(order_type="MARKET", price=None)
    )
    request_id = outcome.request_id or ""
    wait_for(
        lambda: (
            has_buttons(fake_api, ASHA, request_id) and has_buttons(fake_api, VIKRAM, request_id)
        )
    )
    asha_msg, asha_buttons = buttons(fake_api, ASHA)
    vikram_msg, vikram_buttons = buttons(fake_api, VIKRAM)
    post(client, callback(ASHA, asha_buttons["Approve"], message_id=asha_msg))
    post(client, callback(VIKRAM, vikram_buttons["Approve"], message_id=vikram_msg))
    post(client, callback(VIKRAM, vikram_buttons["Approve"], message_id=vikram_msg))  # again
    wait_for(
        lambda: approvals.get_request(rt, ROOT, request_id).request.state is RequestState.EXECUTED
    )
    detail = approvals.get_request(rt, ROOT, request_id)
    assert sorted(d.channel.value for d in detail.decisions) == ["telegram", "telegram"]
    server = client.app.state.server  # type: ignore[attr-defined]
    assert len(server.paper.broker.orders()) == 1
    # The buttons are gone from the messages once the request is closed.
    wait_for(lambda: fake_api.fake.messages[(ASHA, asha_msg)]["reply_markup"] is None)


def test_escalation_reaches_the_escalation_approver(
    service: tuple[TestClient, Runtime],
    fake_api: RunningFakeBotApi,
    people: People,
    clock: FixedClock,
) -> None:
    from datetime import timedelta

    client, rt = service
    proposals.load_instruments(rt, ROOT, INSTRUMENTS_CSV.read_text())
    users.set_chat_id(rt, ROOT, "esha", ESHA)
    users.set_chat_id(rt, ROOT, "asha", ASHA)
    agent_id = make_agent(
        rt, people, name="esc", approval_channels=["telegram", "api"], timeout_policy="escalate"
    )
    promote_to_paper(rt, people, agent_id)
    outcome = proposals.submit_proposal(
        rt, MARKET, people.owner, agent_id, order(order_type="MARKET", price=None)
    )
    request_id = outcome.request_id or ""
    wait_for(lambda: has_buttons(fake_api, ASHA, request_id))
    assert not has_buttons(fake_api, ESHA, request_id)  # not eligible before the escalation
    clock.advance(timedelta(minutes=31))
    approvals.sweep_timeouts(rt)
    wait_for(lambda: has_buttons(fake_api, ESHA, request_id))
    esha_msg, esha_buttons = buttons(fake_api, ESHA)
    post(client, callback(ESHA, esha_buttons["Approve"], message_id=esha_msg))
    wait_for(lambda: len(approvals.get_request(rt, ROOT, request_id).decisions) == 1)
    assert (
        approvals.get_request(rt, ROOT, request_id).decisions[0].approver_id
        == people.escalator.user_id
    )


def test_an_expired_kite_session_is_told_to_its_owner(
    service: tuple[TestClient, Runtime], fake_api: RunningFakeBotApi, people: People
) -> None:
    from desk.services import vault

    _, rt = service
    users.set_chat_id(rt, ROOT, "olga", 9200)
    cred = vault.add_broker_credential(
        rt, people.owner, api_key="kiteapikey01", api_secret="kitesecret0123"
    )
    vault.mark_access_token_expired(rt, ROOT, cred.id)
    wait_for(lambda: any("Kite session" in t for t in fake_api.fake.sent_texts(9200)))
