"""A fake Telegram Bot API (Starlette) that the real python-telegram-bot talks to via ``base_url``.

Serves ``/bot<TOKEN>/<method>`` (GET or POST; query string, form-encoded, JSON or multipart
bodies, with nested objects as JSON strings like PTB sends them), answers the methods the desk
bot uses, records every call, and fails on demand (:meth:`FakeBotApi.fail_next`, e.g. a 429
with ``retry_after``). :func:`run_fake_bot_api` serves it with uvicorn on 127.0.0.1 in a
thread; point PTB at ``running.base_url`` (``http://127.0.0.1:P/bot``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from desk.adapters.local_server import serve_in_thread

DEFAULT_TOKEN = "123456:TEST-fake-token_for_desk"  # noqa: S105 (a fake, not a secret)
BOT_USER = {"id": 999000, "is_bot": True, "first_name": "Desk", "username": "desk_test_bot"}
_JSON_PARAMS = {"reply_markup", "link_preview_options", "reply_parameters", "allowed_updates"}
_INT_PARAMS = {"chat_id", "message_id", "max_connections"}
_BOOL_PARAMS = {"show_alert", "drop_pending_updates", "disable_notification", "protect_content"}


class FakeApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True)
class BotApiCall:
    method: str  # as requested, e.g. "sendMessage"
    params: dict[str, Any]
    status: int
    at: float  # time.monotonic()


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class FakeBotApi:
    token: str = DEFAULT_TOKEN
    bot_user: dict[str, Any] = field(default_factory=lambda: dict(BOT_USER))
    calls: list[BotApiCall] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self.webhook.clear()
            self._faults.clear()

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (429 with retry_after by default)."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}" if status == 429 else "Bad Request"
            )
        with self._lock:
            self._faults.append(_Fault(method.lower(), status, description, retry_after, times))

    def calls_to(self, method: str) -> list[BotApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of successful sendMessage calls (to one chat, if given), in order."""
        return [
            str(c.params.get("text", ""))
            for c in self.calls_to("sendMessage")
            if c.status == 200 and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            fault = self._take_fault(method)
            try:
                if fault is not None:
                    extra = {"retry_after": fault.retry_after} if fault.retry_after else None
                    raise FakeApiError(fault.status, fault.description, extra)
                result = self._dispatch(method.lower(), params)
            except FakeApiError as exc:
                self.calls.append(BotApiCall(method, params, exc.status, time.monotonic()))
                raise
            self.calls.append(BotApiCall(method, params, 200, time.monotonic()))
            return result

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method.lower() and fault.times != 0:
                fault.times -= 1
                return fault
        return None

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getme": lambda p: self.bot_user,
            "sendmessage": self._send,
            "editmessagetext": self._edit_text,
            "editmessagereplymarkup": self._edit_markup,
            "answercallbackquery": lambda p: True,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._webhook_info,
        }
        handler = handlers.get(method)
        if handler is None:
            raise FakeApiError(404, "Not Found: method not found")
        return handler(params)

    def _message(self, chat_id: int, message_id: int, stored: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self.bot_user,
            "text": stored["text"],
        }
        markup = stored.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _send(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, body = params.get("chat_id"), params.get("text")
        if not isinstance(chat_id, int):
            raise FakeApiError(400, "Bad Request: chat not found")
        if not isinstance(body, str) or not 1 <= len(body) <= 4096:
            raise FakeApiError(400, "Bad Request: message text is empty or too long")
        message_id, self._next_id = self._next_id, self._next_id + 1
        stored = {"text": body, "reply_markup": params.get("reply_markup")}
        self.messages[(chat_id, message_id)] = stored
        return self._message(chat_id, message_id, stored)

    def _stored(self, params: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
        key = (params.get("chat_id"), params.get("message_id"))
        stored = self.messages.get(key)  # type: ignore[arg-type]
        if stored is None:
            raise FakeApiError(400, "Bad Request: message to edit not found")
        return int(key[0]), int(key[1]), stored  # type: ignore[arg-type]

    def _edit_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id, stored = self._stored(params)
        new = {"text": params.get("text"), "reply_markup": params.get("reply_markup")}
        if new == stored:
            raise FakeApiError(400, "Bad Request: message is not modified")
        stored.update(new)
        return self._message(chat_id, message_id, stored)

    def _edit_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id, stored = self._stored(params)
        stored["reply_markup"] = params.get("reply_markup")
        return self._message(chat_id, message_id, stored)

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {
            "url": params.get("url", ""),
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": params.get("max_connections", 40),
        }
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        if self.webhook:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if self.webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if content_type.startswith("application/json") and body:
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            params.update(decoded)
    elif content_type.startswith("multipart/form-data"):
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    elif body:
        params.update(dict(parse_qsl(body.decode(), keep_blank_values=True)))
    for key in _JSON_PARAMS & params.keys():
        if isinstance(params[key], str):
            with suppress(ValueError):
                params[key] = json.loads(params[key])
    for key in _BOOL_PARAMS & params.keys():
        if isinstance(params[key], str):
            params[key] = params[key].lower() == "true"
    for key in _INT_PARAMS & params.keys():
        if isinstance(params[key], str) and params[key].lstrip("-").isdigit():
            params[key] = int(params[key])
    return params


def build_app(fake: FakeBotApi) -> Starlette:
    async def endpoint(request: Request) -> JSONResponse:
        if request.path_params["token"] != fake.token:
            return _error(401, "Unauthorized", None)
        try:
            params = await _params(request)
            result = fake.handle(request.path_params["method"], params)
        except FakeApiError as exc:
            return _error(exc.status, exc.description, exc.parameters)
        except ValueError:
            return _error(400, "Bad Request: can't parse request body", None)
        return JSONResponse({"ok": True, "result": result})

    return Starlette(routes=[Route("/bot{token}/{method}", endpoint, methods=["GET", "POST"])])


def _error(status: int, description: str, parameters: dict[str, Any] | None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


@dataclass(frozen=True)
class RunningFakeBotApi:
    url: str  # http://127.0.0.1:P
    fake: FakeBotApi

    @property
    def base_url(self) -> str:
        """What to give PTB's ``base_url`` (it appends the token)."""
        return f"{self.url}/bot"


@contextmanager
def run_fake_bot_api(token: str = DEFAULT_TOKEN, *, port: int = 0) -> Iterator[RunningFakeBotApi]:
    """Serve a fresh fake on 127.0.0.1 (a free port by default) in a background thread."""
    fake = FakeBotApi(token=token)
    with serve_in_thread(build_app(fake), port=port, name="fake-bot-api") as url:
        yield RunningFakeBotApi(url=url, fake=fake)
