"""Server-Sent Events over a real uvicorn server: past events, live ones, Last-Event-ID,
the end of a run, and approval notices filtered to what the caller may see."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from desk.api.app import create_app
from desk.bootstrap import Runtime
from desk.client import Desk
from desk.client.sse import ServerEvent, parse
from desk.server import DeskServer
from desk.services import agents
from tests.integration.api import factories
from tests.integration.api.conftest import ROOT, seed_personas


@dataclass
class Live:
    url: str
    rt: Runtime
    server: DeskServer
    tokens: dict[str, str]

    def http(self, role: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=httpx.Timeout(10))


@pytest.fixture
def live(api_runtime: Runtime) -> Iterator[Live]:
    app = create_app(api_runtime.settings, runtime=api_runtime)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    _, tokens = seed_personas(api_runtime)
    try:
        yield Live(f"http://127.0.0.1:{port}", api_runtime, app.state.server, tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _events(lines: Iterator[str], until: str) -> list[ServerEvent]:
    found = []
    for event in parse(lines):
        found.append(event)
        if event.event == until:
            break
    return found


def test_run_stream_replays_then_follows_live_and_resumes(live: Live) -> None:
    owner_user = next(u for u in _users(live) if u.username == "owner")
    approver_user = next(u for u in _users(live) if u.username == "approver")
    agent_id = factories.paper_agent(live.rt, owner_user, [approver_user], "streamer")
    run_id = _replay_run(live, owner_user, agent_id)  # pending until submitted below
    path = f"/api/v1/agents/{agent_id}/analysis-runs/{run_id}/events/stream/"
    with live.http("approver") as http, http.stream("GET", path) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        live.server.runner.submit(run_id)  # the run starts after we are subscribed
        got = _events(response.iter_lines(), until="end")
    events = [e for e in got if e.event == "run_event"]
    assert got[-1].event == "end" and got[-1].json()["status"] == "completed"
    seqs = [int(e.id or 0) for e in events]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 3
    assert events[0].json()["seq"] == 1

    with Desk(live.url, live.tokens["owner"]) as client:
        resumed = list(client.stream_run_events(agent_id, run_id, last_event_id=seqs[2]))
        assert [e.seq for e in resumed] == seqs[3:]
        everything = list(client.stream_run_events(agent_id, run_id))
        assert [e.seq for e in everything] == seqs  # a finished run replays and ends
    with live.http("member") as http:
        assert http.get(path).status_code == 404
    with live.http("owner") as http:
        bad = http.get(path, headers={"Last-Event-ID": "x"})
        assert bad.status_code == 422 and bad.json()["error"]["fields"] == {
            "Last-Event-ID": "not a number"
        }


def test_approval_stream_sends_only_what_the_caller_may_see(live: Live) -> None:
    owner_user = next(u for u in _users(live) if u.username == "owner")
    approver_user = next(u for u in _users(live) if u.username == "approver")
    agent_id = factories.draft_agent(live.rt, owner_user, [approver_user], "noticed")
    path = "/api/v1/approval-requests/stream/"
    received: dict[str, list[ServerEvent]] = {}

    def listen(role: str, ready: threading.Event) -> None:
        with live.http(role) as http, http.stream("GET", path, params={"max_seconds": 2}) as r:
            lines = r.iter_lines()
            first = next(parse(lines))
            assert first.event == "ready"
            ready.set()
            received[role] = list(parse(lines))

    threads = []
    for role in ("approver", "member"):
        ready = threading.Event()
        thread = threading.Thread(target=listen, args=(role, ready))
        thread.start()
        assert ready.wait(5)
        threads.append(thread)
    owner = factories.actor(owner_user)
    request = agents.request_promotion(live.rt, owner, agent_id, 1)
    for thread in threads:
        thread.join(timeout=10)
    topics = [(e.event, e.json()["request_id"]) for e in received["approver"]]
    assert ("approval.created", request.id) in topics
    assert received["member"] == []
    assert "recipient_ids" not in received["approver"][0].json()


def _users(live: Live) -> list[object]:
    from desk.services import users

    return list(users.list_users(live.rt, ROOT))


def _replay_run(live: Live, owner_user: object, agent_id: str) -> str:
    from desk.services import runs

    actor = factories.actor(owner_user)  # type: ignore[arg-type]
    return runs.start_run(
        live.rt, live.server.engine, actor, agent_id, replay="infosys_research"
    ).id


def test_a_late_subscriber_catches_up_from_the_store_then_shares_the_feed(
    api_runtime: Runtime,
) -> None:
    import asyncio

    from desk.api.sse import RunFeeds, run_events
    from desk.services import runs

    people, _ = seed_personas(api_runtime)
    owner, approver = people["owner"], people["approver"]
    agent_id = factories.paper_agent(api_runtime, owner, [approver], "feeds")
    run_id = factories.pending_run(api_runtime, None, owner, agent_id)
    actor = factories.actor(owner)

    def append(n: int) -> None:
        for i in range(n):
            runs._append(api_runtime, run_id, "message", {"i": i})  # the runner's own path

    async def go() -> tuple[list[str], list[str]]:
        feeds = RunFeeds(api_runtime)
        first = run_events(feeds, api_runtime, actor, agent_id=agent_id, run_id=run_id, after=0)
        await asyncio.to_thread(append, 3)
        seen_first = [(await anext(first))["id"] for _ in range(3)]  # the feed is now at 3
        late = run_events(feeds, api_runtime, actor, agent_id=agent_id, run_id=run_id, after=1)
        seen_late = [(await anext(late))["id"] for _ in range(2)]  # 2, 3 from the store
        await asyncio.to_thread(append, 1)
        seen_first.append((await anext(first))["id"])
        seen_late.append((await anext(late))["id"])
        await asyncio.to_thread(runs.cancel_run, api_runtime, actor, agent_id, run_id)
        assert (await anext(first))["event"] == "end" and (await anext(late))["event"] == "end"
        assert len(feeds._feeds) == 1  # one reader for both
        await first.aclose()
        await late.aclose()
        return seen_first, seen_late

    seen_first, seen_late = asyncio.run(go())
    assert seen_first == ["1", "2", "3", "4"] and seen_late == ["2", "3", "4"]
