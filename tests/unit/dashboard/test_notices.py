"""Live approval notices: the SSE parser, the listener thread and the page's reaction."""

from __future__ import annotations

import threading

import httpx

from desk.dashboard.app import DashboardApp
from desk.dashboard.backend import HttpDashboardApi
from desk.dashboard.fake import FakeDesk, trade_request
from desk.dashboard.notices import NoticeListener, iter_sse

STREAM = (
    'event: ready\ndata: {"topics": "approval.*"}\n\n'
    ": ping\n\n"
    'id: 1\nevent: approval.created\ndata: {"request_id": "r1"}\n\n'
    "event: approval.decided\ndata: line one\ndata: line two\n\n"
)


def test_iter_sse_yields_events_and_skips_pings() -> None:
    assert list(iter_sse(STREAM.splitlines())) == [
        ("ready", '{"topics": "approval.*"}'),
        ("approval.created", '{"request_id": "r1"}'),
        ("approval.decided", "line one\nline two"),
    ]


def test_the_listener_follows_the_stream_as_the_user() -> None:
    seen: list[httpx.Request] = []
    got: list[str] = []
    done = threading.Event()

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=STREAM, headers={"content-type": "text/event-stream"})

    def on_notice(event: str, _data: str) -> None:
        got.append(event)
        if len(got) == 2:
            done.set()

    api = HttpDashboardApi("http://desk.test", "tok", transport=httpx.MockTransport(handle))
    listener = api.listen(on_notice)
    assert listener is not None
    assert done.wait(5)
    listener.stop()
    assert got[:2] == ["approval.created", "approval.decided"]
    assert seen[0].url.path == "/api/v1/approval-requests/stream/"
    assert seen[0].headers["Authorization"] == "Bearer tok"


def test_a_service_without_the_stream_means_polling() -> None:
    missing = httpx.MockTransport(lambda _r: httpx.Response(404, json={"error": {}}))
    listener = NoticeListener("http://desk.test", "tok", lambda _e, _d: None, transport=missing)
    listener.start()
    assert listener._thread is not None
    listener._thread.join(5)
    assert not listener.available and not listener.connected
    listener.stop()


def test_a_notice_refreshes_the_queue_at_once() -> None:
    world = FakeDesk()
    world.add_user("t-asha", "asha")
    app = DashboardApp(world.api)
    app.session.token = "t-asha"
    assert app.sign_in() and app.desk is not None
    app.follow_notices()
    assert app.notices_live and app.desk.queue.table.empty
    world.add_request(trade_request("r9"))
    world.notify()
    assert list(app.desk.queue.table["id"]) == ["r9"]
    app.sign_out()
    assert not app.notices_live and not [x for x in world.listeners if x.connected]
