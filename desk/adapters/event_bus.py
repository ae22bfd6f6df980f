"""In-process publish/subscribe for domain events (SSE, dashboard, Telegram subscribe)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from desk.services.ports.events import DomainEvent, Subscriber

log = structlog.get_logger(__name__)


class InProcessEventBus:
    """Delivers synchronously to every subscriber; a failing subscriber never breaks others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []

    def publish(self, event: DomainEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception:
                log.exception("event_subscriber_failed", topic=event.topic)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe
