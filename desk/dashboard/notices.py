"""Live approval notices: ``GET /api/v1/approval-requests/stream/`` (Server-Sent Events) read
in a background thread. A notice only says "look again"; the page then refetches.

When the stream is missing (404) or keeps failing, ``connected`` stays false and the page
falls back to refreshing every 2 s on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import httpx
import structlog

from desk.dashboard.tls import tls_context

log = structlog.get_logger(__name__)
OnNotice = Callable[[str, str], None]
STREAM_PATH = "/api/v1/approval-requests/stream/"


class Listener(Protocol):
    """A started notice feed; ``connected`` is true while notices arrive live."""

    connected: bool

    def stop(self) -> None: ...


def iter_sse(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` per message; comments (pings) and ids are skipped."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
    if data:
        yield event, "\n".join(data)


class NoticeListener:
    """Follows the stream as one user, reconnecting (the server closes it every ``max_seconds``)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        on_notice: OnNotice,
        *,
        transport: httpx.BaseTransport | None = None,
        max_seconds: float = 30.0,
        retry_seconds: float = 2.0,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "X-Desk-Channel": "dashboard",
                "Accept": "text/event-stream",
            },
            timeout=httpx.Timeout(10.0, read=max_seconds + 20),
            transport=transport,
            verify=tls_context(),
        )
        self._on_notice, self._max, self._retry = on_notice, max_seconds, retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False
        self.available = True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="desk-notices", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._client.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except httpx.HTTPError as exc:
                if self._stop.is_set():
                    break
                log.info("dashboard_notices_retry", error=type(exc).__name__)
            self.connected = False
            if not self.available:
                return
            self._stop.wait(self._retry)

    def _follow(self) -> None:
        params = {"max_seconds": self._max}
        with self._client.stream("GET", STREAM_PATH, params=params) as response:
            if response.status_code == 404:
                self.available = False  # an older service: poll instead
                return
            if response.status_code >= 400:
                raise httpx.HTTPStatusError(
                    "stream refused", request=response.request, response=response
                )
            for event, data in iter_sse(response.iter_lines()):
                if self._stop.is_set():
                    return
                if event == "ready":
                    self.connected = True
                else:
                    self._on_notice(event, data)
