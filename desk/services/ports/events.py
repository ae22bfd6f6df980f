"""Domain events published after a unit of work commits (SSE, Telegram, dashboard)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """``topic`` is e.g. ``approval.created``; ``data`` holds ids and summaries, never secrets."""

    topic: str
    subject_id: str
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


Subscriber = Callable[[DomainEvent], None]


class EventPublisher(Protocol):
    def publish(self, event: DomainEvent) -> None: ...

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Register a subscriber; returns a function that unsubscribes it."""
        ...
