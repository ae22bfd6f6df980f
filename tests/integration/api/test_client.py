"""The typed client against a real uvicorn server on 127.0.0.1 (a free port, in a thread)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import uvicorn

import desk
from desk.client import (
    AsyncDesk,
    Desk,
    DeskAuthError,
    DeskConflictError,
    DeskConnectionError,
    DeskNotFoundError,
    DeskPermissionError,
    DeskValidationError,
)
from desk.domain.errors import ConfigurationError
from tests.integration.api.conftest import WEBHOOK_SECRET, Api
from tests.planted import plant

KITE_KEY = plant("clientKiteKey1234")
KITE_SECRET = plant("clientKiteSecret5678")
LLM_KEY = plant("sk-or-v1-client9z8y7x6w")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def live(api: Api) -> Iterator[str]:
    config = uvicorn.Config(
        api.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture
def admin(api: Api, live: str) -> Iterator[Desk]:
    with Desk(live, api.tokens["admin"], backoff=0) as client:
        yield client


def test_users_tokens_and_errors(api: Api, live: str, admin: Desk) -> None:
    assert admin.health().status == "ok"
    assert admin.me().username == "admin"
    asha = admin.create_user("asha", display_name="Asha Rao", idempotency_key="k-1")
    assert admin.get_user("asha").id == asha.id
    assert admin.update_user("asha", role="admin").role == "admin"
    assert admin.set_telegram_chat("asha", 99).telegram_linked is True
    assert admin.unlink_telegram_chat(asha.id).telegram_linked is False
    listing = admin.list_users(page_size=2)
    assert listing.count == 5 and len(listing) == 2 and listing.next is not None
    frame = admin.list_users(page_size=100).frame()
    assert isinstance(frame, pl.DataFrame) and frame.height == 5
    assert set(frame["username"].to_list()) >= {"asha", "owner"}

    issued = admin.create_token("notebook", user="asha", expires_days=7)
    with Desk(live, issued.token) as as_asha:
        assert as_asha.me().username == "asha"
        assert [t.name for t in as_asha.list_tokens()] == ["notebook"]
        admin.revoke_token(issued.id)
        with pytest.raises(DeskAuthError) as denied:
            as_asha.me()
    assert denied.value.status == 401 and denied.value.code == "authentication_failed"
    assert admin.create_link_code(user="asha").code

    with Desk(live, api.tokens["member"]) as member, pytest.raises(DeskPermissionError):
        member.list_users()
    with pytest.raises(DeskNotFoundError):
        admin.get_user("ghost")
    with pytest.raises(DeskConflictError) as conflict:
        admin.create_user("asha")
    assert conflict.value.fields == {"username": "taken"}
    with pytest.raises(DeskValidationError) as invalid:
        admin.create_user("9")
    assert "username" in invalid.value.fields


def test_credentials_and_audit(api: Api, live: str, admin: Desk, tmp_path: Path) -> None:
    with Desk(live, api.tokens["owner"], channel="dashboard") as owner:
        cred = owner.add_broker_credential(KITE_KEY, KITE_SECRET, label="main")
        assert cred.api_key.endswith(KITE_KEY[-4:]) and KITE_SECRET not in cred.model_dump_json()
        assert owner.get_broker_credential(cred.id).label == "main"
        assert owner.update_broker_credential(cred.id, label="renamed").label == "renamed"
        assert owner.list_broker_credentials().count == 1
        key = owner.add_llm_credential(LLM_KEY)
        assert owner.update_llm_credential(key.id, is_active=False).is_active is False
        assert owner.list_llm_credentials().frame().height == 1
        owner.delete_llm_credential(key.id)
        owner.delete_broker_credential(cred.id)
        with pytest.raises(DeskNotFoundError):
            owner.get_broker_credential(cred.id)

    events = admin.audit_events(limit=5)
    assert len(events) == 5 and events.next_before_seq is not None
    assert events.frame()["payload"].dtype == pl.String
    dashboard = admin.audit_events(action="broker_credential.created").results
    assert dashboard[0].channel == "dashboard"
    assert admin.verify_audit().ok is True
    path = admin.export_audit(tmp_path / "audit.parquet")
    exported = pl.read_parquet(path)
    assert exported.height == admin.verify_audit().count
    assert not (tmp_path / "audit.parquet.partial").exists()
    jsonl = admin.export_audit(tmp_path / "audit.jsonl", fmt="jsonl")
    assert len(jsonl.read_text().splitlines()) == exported.height
    for secret in (KITE_KEY, KITE_SECRET, LLM_KEY):
        assert secret.encode() not in path.read_bytes() + jsonl.read_bytes()


def test_async_client(api: Api, live: str) -> None:
    async def scenario() -> None:
        async with AsyncDesk(live, api.tokens["admin"]) as client:
            me, users = await asyncio.gather(client.me(), client.list_users())
            assert me.username == "admin" and users.count == 4
            made = await client.create_user("ravi")
            assert (await client.get_user(made.id)).username == "ravi"
            assert (await client.verify_audit()).ok
            with pytest.raises(DeskNotFoundError):
                await client.revoke_token("ffff")

    asyncio.run(scenario())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_service_is_a_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        Desk(url, "desk_x", retries=2, backoff=0) as client,
        pytest.raises(DeskConnectionError) as failure,
    ):
        client.me()
    assert failure.value.status == 0 and "cannot reach" in failure.value.message


def test_connect_reads_settings(
    api: Api, live: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DESK_URL", live)
    monkeypatch.setenv("DESK_TOKEN", api.tokens["approver"])
    with desk.connect() as client:
        assert client.me().username == "approver"
    monkeypatch.delenv("DESK_TOKEN")
    with pytest.raises(ConfigurationError) as missing:
        desk.connect()
    assert "DESK_TOKEN" in missing.value.fields


def test_concurrent_writes_over_http(api: Api, live: str, admin: Desk) -> None:
    """Threads of the server write at once; DuckDB writes are serialized, the chain holds."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda i: admin.create_user(f"par{i:02d}").username, range(24)))
    assert sorted(made) == [f"par{i:02d}" for i in range(24)]
    assert admin.list_users(page_size=100).count == 28
    assert admin.verify_audit().ok is True


def test_oversized_body_over_a_real_server(api: Api, live: str) -> None:
    import httpx

    body = b'{"username": "' + b"z" * 1_200_000 + b'"}'
    response = httpx.post(
        f"{live}/api/v1/users/",
        content=body,
        headers={
            "Authorization": f"Bearer {api.tokens['admin']}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.fixture
def logged_live(api: Api) -> Iterator[str]:
    """A server with uvicorn's access log on (as `desk serve` runs it)."""
    config = uvicorn.Config(api.app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)


def test_webhook_secret_stays_out_of_access_logs(
    logged_live: str, caplog: pytest.LogCaptureFixture
) -> None:
    import httpx

    caplog.set_level(logging.INFO, logger="uvicorn.access")
    url = f"{logged_live}/api/v1/telegram/webhook/{WEBHOOK_SECRET}/"
    ok = httpx.post(url, json={"update_id": 5}, headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert ok.status_code == 200
    assert httpx.post(f"{logged_live}/api/v1/telegram/webhook/guess/").status_code == 404
    deadline = time.monotonic() + 5
    while len([r for r in caplog.records if r.name == "uvicorn.access"]) < 2:
        assert time.monotonic() < deadline, "no access log lines"
        time.sleep(0.01)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/telegram/webhook/[redacted]/" in line for line in lines), lines
    assert all(WEBHOOK_SECRET not in line and "guess" not in line for line in lines)
