"""Parsing ``text/event-stream`` (Server-Sent Events) line by line."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ServerEvent:
    event: str
    data: str
    id: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class _Builder:
    event: str = "message"
    data: list[str] = field(default_factory=list)
    id: str | None = None

    def feed(self, line: str) -> ServerEvent | None:
        """One line in; a complete event out at a blank line (comments/pings are skipped)."""
        if not line:
            if not self.data:
                self.event = "message"
                return None
            done = ServerEvent(self.event, "\n".join(self.data), self.id)
            self.event, self.data = "message", []
            return done
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        elif name == "id":
            self.id = value
        return None


def parse(lines: Iterable[str]) -> Iterator[ServerEvent]:
    builder = _Builder()
    for line in lines:
        event = builder.feed(line.rstrip("\r"))
        if event is not None:
            yield event


async def aparse(lines: AsyncIterator[str]) -> AsyncIterator[ServerEvent]:
    builder = _Builder()
    async for line in lines:
        event = builder.feed(line.rstrip("\r"))
        if event is not None:
            yield event
