"""Server-Sent Events: a run's events (replay, then live) and approval notices.

The in-process event bus calls subscribers on whatever thread committed; each stream bridges
them into its event loop with ``loop.call_soon_threadsafe``. The store stays the source of
truth: a wake-up only says "look again", and a poll every ``POLL_SECONDS`` covers events
published by another process (several replicas on Postgres).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from desk.api.schemas.runs import RunEventOut
from desk.bootstrap import Runtime
from desk.domain.errors import NotFoundError
from desk.domain.runs import RunEvent
from desk.domain.users import Actor
from desk.services import approvals, runs
from desk.services.notices import APPROVAL_TOPIC_PREFIX
from desk.services.ports.events import DomainEvent

POLL_SECONDS = 0.25
PING_SECONDS = 15
BATCH = 500
RUN_TOPICS = frozenset({runs.RUN_EVENT_TOPIC, "run.status"})
Message = dict[str, Any]
FEED_ACTOR = Actor.system(label="sse-feed")


def _waker(
    runtime: Runtime, wanted: Callable[[DomainEvent], bool]
) -> tuple[asyncio.Event, Callable[[], None]]:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def on_event(event: DomainEvent) -> None:
        if wanted(event):
            loop.call_soon_threadsafe(wake.set)

    return wake, runtime.events.subscribe(on_event)


async def _sleep_until(wake: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=seconds)


class RunFeeds:
    """One reader per run, shared by every subscriber of that run: a new event is read from
    the store once and handed to all of them (100 subscribers cost one query, not 100).

    Subscribers are checked (may they see the run?) before they join; the feed reads as the
    system. It starts when the first subscriber joins and stops with the last one or when the
    run is terminal.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._feeds: dict[str, _Feed] = {}

    @contextlib.asynccontextmanager
    async def join(self, agent_id: str, run_id: str) -> AsyncIterator[_Subscription]:
        feed = self._feeds.get(run_id)
        if feed is None or feed.task.done() or feed.loop is not asyncio.get_running_loop():
            feed = _Feed(self._rt, agent_id, run_id)
            self._feeds[run_id] = feed
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        feed.queues.add(queue)
        try:
            yield _Subscription(queue, feed.cursor)
        finally:
            feed.queues.discard(queue)
            if not feed.queues:
                feed.task.cancel()
                if self._feeds.get(run_id) is feed:
                    del self._feeds[run_id]


_Item = tuple[str, Any]  # ("events", [RunEvent, ...]) or ("end", AnalysisRun)


@dataclass
class _Subscription:
    queue: asyncio.Queue[_Item]
    feed_cursor: int  # events up to here were read before joining: replay them yourself


class _Feed:
    def __init__(self, runtime: Runtime, agent_id: str, run_id: str) -> None:
        self.queues: set[asyncio.Queue[_Item]] = set()
        self.cursor = 0
        self._rt, self._agent_id, self._run_id = runtime, agent_id, run_id
        self.loop = asyncio.get_running_loop()
        self.task = self.loop.create_task(self._read())

    def _send(self, item: _Item) -> None:
        for queue in list(self.queues):
            queue.put_nowait(item)

    async def _read(self) -> None:
        wake, unsubscribe = _waker(
            self._rt, lambda e: e.topic in RUN_TOPICS and e.subject_id == self._run_id
        )
        try:
            while True:
                wake.clear()
                run = await asyncio.to_thread(
                    runs.get_run, self._rt, FEED_ACTOR, self._agent_id, self._run_id
                )
                while True:  # drain: after a terminal status no more events arrive
                    batch = await asyncio.to_thread(
                        runs.list_events, self._rt, FEED_ACTOR, self._agent_id, self._run_id,
                        after=self.cursor, limit=BATCH,
                    )  # fmt: skip
                    if batch:
                        self.cursor = batch[-1].seq
                        self._send(("events", batch))
                    if len(batch) < BATCH:
                        break
                if run.is_terminal:
                    self._send(("end", run))
                    return
                await _sleep_until(wake, POLL_SECONDS)
        finally:
            unsubscribe()


async def run_events(
    feeds: RunFeeds, runtime: Runtime, actor: Actor, *, agent_id: str, run_id: str, after: int
) -> AsyncIterator[Message]:
    """Every event after ``after``, then live ones; a final ``end`` once the run is terminal."""
    cursor = after
    async with feeds.join(agent_id, run_id) as sub:
        if sub.feed_cursor > cursor:  # the shared feed is ahead: catch up from the store
            past = await asyncio.to_thread(
                runs.list_events, runtime, actor, agent_id, run_id, after=cursor,
                limit=BATCH,
            )  # fmt: skip
            while past and cursor < sub.feed_cursor:
                for event in past:
                    if event.seq > sub.feed_cursor:
                        break
                    cursor = event.seq
                    yield _message(event)
                if len(past) < BATCH or cursor >= sub.feed_cursor:
                    break
                past = await asyncio.to_thread(
                    runs.list_events, runtime, actor, agent_id, run_id, after=cursor,
                    limit=BATCH,
                )  # fmt: skip
        while True:
            kind, value = await sub.queue.get()
            if kind == "end":
                end = {"run_id": value.id, "status": value.status.value, "last_seq": cursor}
                yield {"id": str(cursor), "event": "end", "data": json.dumps(end)}
                return
            for event in value:
                if event.seq > cursor:
                    cursor = event.seq
                    yield _message(event)


def _message(event: RunEvent) -> Message:
    return {"id": str(event.seq), "event": "run_event",
            "data": RunEventOut.of(event).model_dump_json()}  # fmt: skip


async def approval_notices(
    runtime: Runtime, actor: Actor, max_seconds: float | None
) -> AsyncIterator[Message]:
    """Approval notices (created, decided, executed, …) for requests the caller may view."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=1000)

    def on_event(event: DomainEvent) -> None:
        if event.topic.startswith(APPROVAL_TOPIC_PREFIX):
            loop.call_soon_threadsafe(_offer, queue, event)

    unsubscribe = runtime.events.subscribe(on_event)
    deadline = None if max_seconds is None else loop.time() + max_seconds
    counter = itertools.count(1)
    try:
        yield {"event": "ready", "data": json.dumps({"topics": "approval.*"})}
        while deadline is None or loop.time() < deadline:
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                event = await asyncio.wait_for(queue.get(), timeout=timeout)
            except TimeoutError:
                break
            if not await asyncio.to_thread(_may_view, runtime, actor, event.subject_id):
                continue
            data = {k: v for k, v in event.data.items() if k != "recipient_ids"}
            data |= {"topic": event.topic, "occurred_at": event.occurred_at.isoformat()}
            yield {"id": str(next(counter)), "event": event.topic, "data": json.dumps(data)}
    finally:
        unsubscribe()


def _offer(queue: asyncio.Queue[DomainEvent], event: DomainEvent) -> None:
    if not queue.full():  # a stalled client drops notices rather than growing memory
        queue.put_nowait(event)


def _may_view(runtime: Runtime, actor: Actor, request_id: str) -> bool:
    try:
        approvals.get_request(runtime, actor, request_id)
    except NotFoundError:
        return False
    return True
