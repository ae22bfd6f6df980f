"""In-memory implementations of the Telegram state ports (one process; lost on restart)."""

from __future__ import annotations

from collections import OrderedDict

from desk.domain.telegram import SentMessage

DEFAULT_LEDGER_SIZE = 10_000


class InMemoryUpdateLedger:
    """The last ``size`` update ids (an LRU): enough for Telegram's retries of recent updates."""

    def __init__(self, size: int = DEFAULT_LEDGER_SIZE) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self._size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def claim(self, update_id: int) -> bool:
        if update_id in self._seen:
            self._seen.move_to_end(update_id)
            return False
        self._seen[update_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)


class InMemoryMessageLog:
    """request id → the notification messages sent about it."""

    def __init__(self) -> None:
        self._messages: dict[str, list[SentMessage]] = {}

    async def add(self, request_id: str, message: SentMessage) -> None:
        sent = self._messages.setdefault(request_id, [])
        if message not in sent:
            sent.append(message)

    async def messages(self, request_id: str) -> list[SentMessage]:
        return list(self._messages.get(request_id, ()))

    async def forget(self, request_id: str) -> None:
        self._messages.pop(request_id, None)
