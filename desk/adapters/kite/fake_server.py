"""A fake Kite Connect v3 server (Starlette) that the real ``kiteconnect`` client can talk to.

Serves at ``/`` (``kiteconnect`` drops any path in ``root``). Errors on demand through
:class:`Fault` (Python: ``fake.add_fault(...)``; HTTP: ``POST /_fake/faults``): Kite error
bodies with any status/``error_type`` (403 TokenException, 429, 500...), slow responses
(timeouts) before or *after* the request took effect, and malformed bodies that trip the
client's quirks. :func:`run_fake_kite` runs it with uvicorn on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from desk.adapters.kite import fake_views as views
from desk.adapters.kite.fake_state import FakeKiteError, FakeKiteState
from desk.adapters.local_server import serve_in_thread

FaultKind = Literal["error", "delay", "malformed"]
Handler = Callable[[FakeKiteState, Request], Awaitable[Any]]


@dataclass
class Fault:
    """One injected misbehaviour for requests matching ``method``/``path`` (prefix).

    ``malformed`` variants: ``no_error_type`` (→ client ``TypeError``), ``no_message``
    (→ ``KeyError``), ``no_content_type`` (→ ``KeyError``), ``bad_json`` (→
    ``DataException``), ``html`` (→ ``DataException``), ``list_body`` (→ ``AttributeError``).
    ``after=True`` lets the request take effect first (an order *is* placed), then misbehaves.
    """

    kind: FaultKind
    path: str = "/"
    method: str | None = None
    times: int = 1  # -1: forever
    status: int = 500
    error_type: str = "GeneralException"
    message: str = "Something went wrong."
    delay_seconds: float = 0.0
    variant: str = "no_error_type"
    after: bool = False

    def matches(self, method: str, path: str, after: bool) -> bool:
        return (
            self.after == after
            and path.startswith(self.path)
            and (self.method is None or self.method.upper() == method)
            and self.times != 0
        )


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    at: float  # time.monotonic()
    status: int


class FakeKite:
    """The state plus faults and a request log; what tests hold on to."""

    def __init__(self, make_state: Callable[[], FakeKiteState]) -> None:
        self._make_state = make_state
        self.state = make_state()
        self.faults: list[Fault] = []
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Fresh state, no faults, empty log (reuse one running server across tests)."""
        with self._lock:
            self.state = self._make_state()
            self.faults = []
            self.requests = []  # a new list: stragglers from before log into the old one

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str, *, after: bool) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path, after):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def log(self, into: list[LoggedRequest], method: str, path: str, status: int) -> None:
        with self._lock:
            into.append(LoggedRequest(method, path, time.monotonic(), status))

    def placed_requests(self) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.startswith("/orders")]


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"status": "success", "data": data})


def error(status: int, error_type: str, message: str) -> JSONResponse:
    body = {"status": "error", "message": message, "error_type": error_type, "data": None}
    return JSONResponse(body, status_code=status)


def malformed(variant: str, status: int) -> Response:
    if variant == "no_message":
        return JSONResponse({"status": "error", "error_type": "InputException"}, status)
    if variant == "no_content_type":
        resp = Response(b'{"status": "error"}', status_code=status)
        del resp.headers["content-type"]
        return resp
    if variant == "bad_json":
        return Response(b"{not json", status_code=status, media_type="application/json")
    if variant == "html":
        return Response(b"<html>Bad gateway</html>", status_code=status, media_type="text/html")
    if variant == "list_body":
        return JSONResponse(["unexpected"], status)
    return JSONResponse({"status": "error", "message": "no error type", "data": None}, status)


async def _apply(fault: Fault | None) -> Response | None:
    if fault is None:
        return None
    if fault.kind == "delay":
        await asyncio.sleep(fault.delay_seconds)
        return None
    if fault.kind == "malformed":
        return malformed(fault.variant, fault.status)
    return error(fault.status, fault.error_type, fault.message)


def _endpoint(fake: FakeKite, fn: Handler, auth: bool) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        method, path, log = request.method, request.url.path, fake.requests
        response = await _apply(fake.take_fault(method, path, after=False))
        if response is None:
            response = await _handle(fake, request, fn, auth)
            late = await _apply(fake.take_fault(method, path, after=True))
            response = late or response
        fake.log(log, method, path, response.status_code)
        return response

    return run


async def _handle(fake: FakeKite, request: Request, fn: Handler, auth: bool) -> Response:
    if auth and not fake.state.authorized(request.headers.get("authorization")):
        return error(403, "TokenException", "Incorrect `api_key` or `access_token`.")
    try:
        result = await fn(fake.state, request)
    except FakeKiteError as exc:
        return error(exc.status, exc.error_type, exc.message)
    return result if isinstance(result, Response) else ok(result)


async def _form(request: Request) -> dict[str, str]:
    # url-encoded by hand: Starlette's form parser needs python-multipart
    return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))


def _keys(request: Request) -> list[str]:
    return request.query_params.getlist("i")


async def session_token(state: FakeKiteState, request: Request) -> Any:
    f = await _form(request)
    return state.create_session(
        f.get("api_key", ""), f.get("request_token", ""), f.get("checksum", "")
    )


async def session_delete(state: FakeKiteState, request: Request) -> Any:
    return True


async def profile(state: FakeKiteState, request: Request) -> Any:
    return state.profile


async def margins(state: FakeKiteState, request: Request) -> Any:
    segment = request.path_params.get("segment")
    if segment is None:
        return state.margins
    if segment not in state.margins:
        raise FakeKiteError(400, "InputException", "Invalid segment.")
    return state.margins[segment]


async def order_margins(state: FakeKiteState, request: Request) -> Any:
    return views.order_margins(state, await request.json())


async def order_book(state: FakeKiteState, request: Request) -> Any:
    return state.order_book()


async def trades(state: FakeKiteState, request: Request) -> Any:
    return list(state.trades)


async def place(state: FakeKiteState, request: Request) -> Any:
    return {"order_id": state.place(request.path_params["variety"], await _form(request))}


async def cancel(state: FakeKiteState, request: Request) -> Any:
    return {"order_id": state.cancel(request.path_params["order_id"])}


async def order_trades(state: FakeKiteState, request: Request) -> Any:
    return state.order_trades(request.path_params["order_id"])


async def history(state: FakeKiteState, request: Request) -> Any:
    return state.history(request.path_params["order_id"])


async def positions(state: FakeKiteState, request: Request) -> Any:
    return views.positions(state)


async def quote(state: FakeKiteState, request: Request) -> Any:
    return views.quote(state, _keys(request))


async def ltp(state: FakeKiteState, request: Request) -> Any:
    return views.ltp(state, _keys(request))


async def ohlc(state: FakeKiteState, request: Request) -> Any:
    return views.ohlc(state, _keys(request))


async def instruments(state: FakeKiteState, request: Request) -> Response:
    text = state.instruments_csv
    exchange = request.path_params.get("exchange")
    if exchange:
        lines = text.splitlines()
        rows = [ln for ln in lines[1:] if ln.rsplit(",", 1)[-1] == exchange]
        text = "\n".join([lines[0], *rows]) + "\n"
    return Response(text, media_type="text/csv")


#: (path, method, handler, needs auth) — the subset of Kite v3 the desk uses.
KITE_ROUTES: tuple[tuple[str, str, Handler, bool], ...] = (
    ("/session/token", "POST", session_token, False),
    ("/session/token", "DELETE", session_delete, True),
    ("/user/profile", "GET", profile, True),
    ("/user/margins", "GET", margins, True),
    ("/user/margins/{segment}", "GET", margins, True),
    ("/margins/orders", "POST", order_margins, True),
    ("/orders", "GET", order_book, True),
    ("/trades", "GET", trades, True),
    ("/orders/{variety}", "POST", place, True),
    ("/orders/{variety}/{order_id}", "DELETE", cancel, True),
    ("/orders/{order_id}/trades", "GET", order_trades, True),
    ("/orders/{order_id}", "GET", history, True),
    ("/portfolio/positions", "GET", positions, True),
    ("/quote", "GET", quote, True),
    ("/quote/ltp", "GET", ltp, True),
    ("/quote/ohlc", "GET", ohlc, True),
    ("/instruments", "GET", instruments, True),
    ("/instruments/{exchange}", "GET", instruments, True),
)


def build_app(fake: FakeKite) -> Starlette:
    routes = [
        Route(path, _endpoint(fake, fn, auth), methods=[method])
        for path, method, fn, auth in KITE_ROUTES
    ]
    return Starlette(routes=[*routes, *control_routes(fake)])


def control_routes(fake: FakeKite) -> list[Route]:
    """``/_fake/*``: drive the fake over HTTP (for ``desk fake-kite`` and demos)."""

    async def set_ltp(request: Request) -> Response:
        body = await request.json()
        for key, price in dict(body).items():
            fake.state.set_ltp(str(key), Decimal(str(price)))
        return ok(True)

    async def add_faults(request: Request) -> Response:
        for item in await request.json():
            fake.add_fault(Fault(**item))
        return ok(len(fake.faults))

    async def reject(request: Request) -> Response:
        body = dict(await request.json())
        with fake.state.lock:
            fake.state.reject_symbols = {str(x) for x in body.get("symbols", [])}
            if "max_quantity" in body:
                fake.state.max_quantity = int(body["max_quantity"])
        return ok(True)

    async def expire(request: Request) -> Response:
        fake.state.expire_tokens()
        return ok(True)

    async def log(request: Request) -> Response:
        return ok([r.__dict__ for r in fake.requests])

    return [
        Route("/_fake/ltp", set_ltp, methods=["POST"]),
        Route("/_fake/faults", add_faults, methods=["POST"]),
        Route("/_fake/expire_tokens", expire, methods=["POST"]),
        Route("/_fake/reject", reject, methods=["POST"]),
        Route("/_fake/requests", log, methods=["GET"]),
    ]


def default_fixtures_dir() -> Path:
    """``tests/fixtures/kite`` of this checkout (the fake is a development tool)."""
    return Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "kite"


@dataclass(frozen=True)
class RunningFakeKite:
    url: str  # base URL, e.g. http://127.0.0.1:54321 — pass as KiteConnect(root=url)
    fake: FakeKite

    @property
    def state(self) -> FakeKiteState:
        return self.fake.state

    def reset(self) -> None:
        self.fake.reset()


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@contextmanager
def run_fake_kite(
    fixtures_dir: Path | None = None,
    *,
    port: int = 0,
    now: Callable[[], datetime] = _wall_clock,
    **state_kwargs: Any,
) -> Iterator[RunningFakeKite]:
    """Serve a fresh fake on 127.0.0.1 (a free port by default) in a background thread."""
    folder = fixtures_dir or default_fixtures_dir()
    fake = FakeKite(lambda: FakeKiteState(folder, now=now, **state_kwargs))
    with serve_in_thread(build_app(fake), port=port, name="fake-kite") as url:
        yield RunningFakeKite(url=url, fake=fake)


def serve_fake_kite(
    host: str = "127.0.0.1", port: int = 8765, fixtures_dir: Path | None = None
) -> None:
    """Serve the fake in the foreground until interrupted (what ``desk fake-kite`` runs)."""
    folder = fixtures_dir or default_fixtures_dir()
    fake = FakeKite(lambda: FakeKiteState(folder, now=_wall_clock))
    uvicorn.run(build_app(fake), host=host, port=port, log_level="info", lifespan="off")
