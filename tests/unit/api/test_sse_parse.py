"""Parsing text/event-stream: events, ids, multi-line data, comments (pings)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from desk.client.sse import ServerEvent, aparse, parse

STREAM = [
    ": ping - 2026-11-25 09:30:00",
    "",
    "id: 1",
    "event: run_event",
    'data: {"seq": 1}',
    "",
    "data: line one",
    "data: line two",
    "",
    "event: end\r",
    "data:{}",
    "",
]


def test_parse_events_ids_and_multiline_data() -> None:
    events = list(parse(STREAM))
    assert events == [
        ServerEvent("run_event", '{"seq": 1}', "1"),
        ServerEvent("message", "line one\nline two", "1"),
        ServerEvent("end", "{}", "1"),
    ]
    assert events[0].json() == {"seq": 1}


def test_async_parse_matches() -> None:
    async def lines() -> AsyncIterator[str]:
        for line in STREAM:
            yield line

    async def collect() -> list[ServerEvent]:
        return [e async for e in aparse(lines())]

    assert asyncio.run(collect()) == list(parse(STREAM))
