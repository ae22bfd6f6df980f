"""Async OpenRouter client: chat completions with tools, usage, retries and clear errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from desk.adapters.openrouter.stream import StreamAccumulator
from desk.adapters.openrouter.wire import (
    message_from_wire,
    message_to_wire,
    model_from_wire,
    tools_to_wire,
    usage_from_wire,
)
from desk.domain.errors import DeskError
from desk.domain.research import ChatMessage, Completion, ModelInfo, ToolSpec
from desk.domain.secret import Secret
from desk.services.ports.llm import (
    LlmAuthError,
    LlmBadRequestError,
    LlmCreditsError,
    LlmError,
    LlmForbiddenError,
    LlmModelError,
    LlmUnavailableError,
)

log = structlog.get_logger(__name__)

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class _RetryableError(Exception):
    """A transient failure; ``final`` is raised when the retries run out."""

    def __init__(self, final: DeskError, retry_after: float | None = None) -> None:
        super().__init__(final.message)
        self.final = final
        self.retry_after = retry_after


class OpenRouterClient:
    """Implements :class:`desk.services.ports.llm.LlmClient` over HTTP.

    The key is revealed only to build the ``Authorization`` header of each request; headers are
    never logged.
    """

    def __init__(
        self,
        api_key: Secret | None,
        *,
        http: httpx.AsyncClient | None = None,
        base_url: str = DEFAULT_BASE_URL,
        referer: str | None = None,
        app_title: str | None = None,
        timeout_s: float = 60.0,
        max_attempts: int = 4,
        backoff_base_s: float = 0.5,
        max_backoff_s: float = 30.0,
        stream: bool = False,
    ) -> None:
        self._key = api_key
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._owns_http = http is None
        self._referer = referer
        self._title = app_title
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base_s
        self._max_backoff = max_backoff_s
        self._models: dict[str, ModelInfo] = {}
        self._stream = stream

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def _headers(self) -> dict[str, str]:
        if self._key is None or not self._key.reveal():
            raise LlmAuthError(
                "No OpenRouter API key: add an LLM credential for the agent's owner.",
                fields={"api_key": "missing"},
            )
        headers = {"Authorization": f"Bearer {self._key.reveal()}"}
        if self._referer:
            headers["HTTP-Referer"] = self._referer
        if self._title:
            headers["X-Title"] = self._title
            headers["X-OpenRouter-Title"] = self._title
        return headers

    async def complete(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        body: dict[str, Any] = {
            "model": model,
            "messages": [message_to_wire(m) for m in messages],
            "stream": self._stream,
        }
        if tools:
            body["tools"] = tools_to_wire(tools)
            body["tool_choice"] = "auto"
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        headers = self._headers()
        post = self._stream_completion if self._stream else self._post_completion
        return await self._with_retries(lambda: post(body, headers))

    async def list_models(self) -> list[ModelInfo]:
        async def fetch() -> list[ModelInfo]:
            payload = await self._request("GET", "models", None, {})
            return [model_from_wire(m) for m in payload.get("data") or ()]

        models = await self._with_retries(fetch)
        self._models = {m.id: m for m in models}
        return models

    async def validate_model(self, model: str) -> ModelInfo:
        """The catalogue entry for ``model``; raises when it is unknown or cannot call tools."""
        models = self._models or {m.id: m for m in await self.list_models()}
        info = models.get(model) or models.get(model.split(":", maxsplit=1)[0])
        if info is None:
            raise LlmModelError(f"Unknown OpenRouter model {model!r}.", fields={"model": "unknown"})
        if not info.supports_tools:
            raise LlmModelError(
                f"Model {model!r} does not support tool calling.", fields={"model": "no tools"}
            )
        return info

    async def _with_retries(self, call: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_RetryableError),
            reraise=True,
            before_sleep=self._log_retry,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await call()
        except _RetryableError as exc:
            raise exc.final from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableError) and exc.retry_after is not None:
            return min(exc.retry_after, self._max_backoff)
        return float(min(self._backoff_base * 2 ** (state.attempt_number - 1), self._max_backoff))

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("openrouter_retry", attempt=state.attempt_number, reason=str(exc))

    async def _post_completion(self, body: dict[str, Any], headers: dict[str, str]) -> Completion:
        payload = await self._request("POST", "chat/completions", body, headers)
        return self._completion_from(payload)

    async def _stream_completion(self, body: dict[str, Any], headers: dict[str, str]) -> Completion:
        stream = StreamAccumulator()
        try:
            async with self._http.stream(
                "POST", "chat/completions", json=body, headers=headers
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_for(
                        response.status_code, _decode(response), response.headers.get("Retry-After")
                    )
                async for line in response.aiter_lines():
                    stream.feed_line(line)
                    if stream.done:
                        break
        except httpx.TimeoutException as exc:
            raise _RetryableError(LlmUnavailableError("OpenRouter timed out.")) from exc
        except httpx.TransportError as exc:
            raise _RetryableError(
                LlmUnavailableError(f"OpenRouter stream broke: {type(exc).__name__}.")
            ) from exc
        except ValueError as exc:
            raise _RetryableError(
                LlmUnavailableError("OpenRouter sent a malformed chunk.")
            ) from exc
        return self._completion_from(stream.payload())

    async def _request(
        self, method: str, path: str, body: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, json=body, headers=dict(headers))
        except httpx.TimeoutException as exc:
            raise _RetryableError(LlmUnavailableError("OpenRouter timed out.")) from exc
        except httpx.TransportError as exc:
            raise _RetryableError(
                LlmUnavailableError(f"OpenRouter unreachable: {type(exc).__name__}.")
            ) from exc
        payload = _decode(response)
        if response.status_code >= 400:
            raise _error_for(response.status_code, payload, response.headers.get("Retry-After"))
        error = payload.get("error")
        if isinstance(error, Mapping):
            raise _error_for(int(error.get("code") or 500), payload, None)
        return payload

    def _completion_from(self, payload: Mapping[str, Any]) -> Completion:
        choices = payload.get("choices") or ()
        if not choices:
            raise _RetryableError(LlmUnavailableError("OpenRouter returned no choices."))
        choice = choices[0]
        if isinstance(choice.get("error"), Mapping) or choice.get("finish_reason") == "error":
            error = choice.get("error") or {}
            raise _error_for(int(error.get("code") or 502), {"error": error}, None)
        message = message_from_wire(choice.get("message") or {})
        if not message.tool_calls and not (message.content or "").strip():
            raise _RetryableError(LlmUnavailableError("OpenRouter returned an empty answer."))
        model = str(payload.get("model") or "")
        usage_wire = payload.get("usage")
        info = self._models.get(model)
        fallback = None
        if info is not None and isinstance(usage_wire, Mapping):
            fallback = info.cost_of(
                int(usage_wire.get("prompt_tokens") or 0),
                int(usage_wire.get("completion_tokens") or 0),
            )
        return Completion(
            message=message,
            finish_reason=str(choice.get("finish_reason") or "stop"),
            usage=usage_from_wire(usage_wire, fallback),
            model=model,
            generation_id=str(payload.get("id") or ""),
        )


def _decode(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = json.loads(response.content or b"{}", parse_float=Decimal)
    except ValueError:
        payload = {}
    return payload if isinstance(payload, dict) else {}


def _retry_after(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _error_for(
    status: int, payload: Mapping[str, Any], retry_after: str | None
) -> LlmError | DeskError | _RetryableError:
    error = payload.get("error") if isinstance(payload.get("error"), Mapping) else {}
    detail = str((error or {}).get("message") or "no detail")[:300]
    if status == 401:
        return LlmAuthError(f"OpenRouter rejected the API key (401): {detail}")
    if status == 402:
        return LlmCreditsError(f"OpenRouter credits exhausted (402): {detail}")
    if status == 403:
        return LlmForbiddenError(f"OpenRouter refused the request (403): {detail}")
    if status in RETRYABLE_STATUSES:
        final = LlmUnavailableError(f"OpenRouter unavailable ({status}): {detail}")
        return _RetryableError(final, _retry_after(retry_after))
    if 400 <= status < 500:
        return LlmBadRequestError(f"OpenRouter rejected the request ({status}): {detail}")
    return LlmError(f"OpenRouter error ({status}): {detail}")
