"""Client retries, error mapping and frames, against ``httpx.MockTransport`` (no server)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from desk.api.schemas.audit import AuditEventOut
from desk.api.schemas.users import UserOut
from desk.client import (
    AsyncDesk,
    Desk,
    DeskApiError,
    DeskClientError,
    DeskConnectionError,
    DeskServerError,
    DeskValidationError,
)
from desk.client.listing import EventPage, Listing

ME = {
    "id": "u1",
    "username": "asha",
    "display_name": "Asha",
    "role": "member",
    "is_active": True,
    "telegram_linked": False,
    "created_at": "2026-11-25T04:00:00Z",
    "channel": "api",
}


class Script:
    """A fake service: answers from a list, records what it was asked."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def error(status: int, code: str = "x", fields: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": f"{code}!", "fields": fields or {}}}
    return httpx.Response(status, json=body)


def client(script: Callable[[httpx.Request], httpx.Response], retries: int = 3) -> Desk:
    transport = httpx.MockTransport(script)
    return Desk("http://desk.test", "desk_tok", retries=retries, backoff=0, transport=transport)


def test_get_is_retried_on_5xx_and_connection_errors() -> None:
    script = Script(error(503), httpx.ConnectError("refused"), httpx.Response(200, json=ME))
    assert client(script).me().username == "asha"
    assert len(script.requests) == 3
    sent = script.requests[0]
    assert sent.headers["Authorization"] == "Bearer desk_tok"
    assert sent.headers["X-Desk-Channel"] == "api"


def test_get_gives_up_after_the_attempts() -> None:
    script = Script(error(502), error(502), error(502))
    with pytest.raises(DeskServerError) as failure:
        client(script, retries=3).me()
    assert failure.value.status == 502 and len(script.requests) == 3


@pytest.mark.parametrize("answer", [error(503), httpx.ConnectError("refused")])
def test_keyed_writes_are_retried_with_the_same_key(answer: httpx.Response | Exception) -> None:
    """The service replays these POSTs by key, so an unanswered one is sent again."""
    script = Script(answer, httpx.Response(201, json=ME))
    assert client(script).create_user("asha", idempotency_key="once").username == "asha"
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["once", "once"]


def test_keyed_writes_get_a_key_of_their_own() -> None:
    script = Script(error(502), httpx.Response(201, json=ME), httpx.Response(201, json=ME))
    desk = client(script)
    desk.create_user("asha")
    desk.create_user("asha")
    keys = [r.headers["Idempotency-Key"] for r in script.requests]
    assert keys[0] == keys[1] != keys[2]  # one key per call, kept across its retries
    assert keys[0].startswith("desk-client-")


@pytest.mark.parametrize("answer", [error(500), error(409, "conflict")])
def test_keyed_writes_are_not_retried_when_the_service_answered(answer: httpx.Response) -> None:
    script = Script(answer, httpx.Response(201, json=ME))
    with pytest.raises(DeskApiError):
        client(script).create_user("asha")
    assert len(script.requests) == 1


@pytest.mark.parametrize("answer", [error(503), httpx.ConnectError("refused")])
def test_other_writes_are_never_retried(answer: httpx.Response | Exception) -> None:
    script = Script(answer, httpx.Response(200, json={}))
    with pytest.raises((DeskServerError, DeskConnectionError)):
        client(script).cancel_run("a1", "r1")
    assert len(script.requests) == 1
    assert "Idempotency-Key" not in script.requests[0].headers


def test_client_errors_are_not_retried_and_carry_fields() -> None:
    script = Script(error(422, "validation_error", {"username": "invalid format"}))
    with pytest.raises(DeskValidationError) as failure:
        client(script).get_user("x")
    assert failure.value.fields == {"username": "invalid format"}
    assert failure.value.code == "validation_error" and len(script.requests) == 1


def test_unexpected_bodies_still_map_to_errors() -> None:
    script = Script(httpx.Response(418, text="teapot"), httpx.Response(504, text="<html>"))
    with pytest.raises(DeskClientError) as teapot:
        client(script, retries=1).me()
    assert type(teapot.value) is DeskClientError and teapot.value.code == "http_error"
    with pytest.raises(DeskApiError) as gateway:
        client(script, retries=1).me()
    assert isinstance(gateway.value, DeskServerError) and gateway.value.status == 504


def test_health_503_is_an_answer_not_an_error() -> None:
    degraded = {"status": "degraded", "checks": {"store": {"ok": False}}}
    script = Script(httpx.Response(503, json=degraded))
    assert client(script).health().status == "degraded"


def test_ids_are_quoted_into_paths() -> None:
    script = Script(httpx.Response(200, json=ME))
    client(script).get_user("a/b c")
    assert script.requests[0].url.raw_path == b"/api/v1/users/a%2Fb%20c/"


def test_async_client_retries_gets_and_keyed_posts() -> None:
    script = Script(error(500), httpx.Response(200, json=ME), error(500))

    async def scenario() -> None:
        transport = httpx.MockTransport(script)
        async with AsyncDesk("http://desk.test", "t", backoff=0, transport=transport) as c:
            assert (await c.me()).username == "asha"
            with pytest.raises(DeskServerError):
                await c.revoke_token("abc")
            assert (await c.create_user("asha")).username == "asha"  # keyed: retried

    script.answers += [error(503), httpx.Response(201, json=ME)]
    asyncio.run(scenario())
    assert [r.method for r in script.requests] == ["GET", "GET", "DELETE", "POST", "POST"]
    posts = [r.headers["Idempotency-Key"] for r in script.requests[3:]]
    assert posts[0] == posts[1]


def test_frames() -> None:
    empty = Listing(UserOut, 0, 1, 20, None, None, [])
    assert empty.frame().columns == list(UserOut.model_fields)
    user = UserOut.model_validate(ME)
    assert Listing(UserOut, 1, 1, 20, None, None, [user]).frame()["username"].to_list() == ["asha"]
    event = AuditEventOut(
        seq=1, id="e", occurred_at=datetime(2026, 1, 1, tzinfo=UTC), action="a", actor_id=None,
        actor_label="x", channel="api", subject_type="user", subject_id=None,
        payload={"b": [1], "a": {"c": 2}}, prev_hash="0" * 64, hash="1" * 64,
    )  # fmt: skip
    frame = EventPage(AuditEventOut, [event], None).frame()
    assert frame["payload"].to_list() == ['{"a": {"c": 2}, "b": [1]}']


def test_bad_channel_is_refused_early() -> None:
    with pytest.raises(ValueError, match="channel"):
        Desk("http://desk.test", "t", channel="telegram")
