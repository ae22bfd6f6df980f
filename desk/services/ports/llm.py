"""The LLM port: chat completions with tool calling, and the model catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from desk.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    DeskError,
    PermissionDeniedError,
    ValidationError,
)
from desk.domain.research import ChatMessage, Completion, ModelInfo, ToolSpec


class LlmError(DeskError):
    """The model provider failed; the run records the message and stops."""

    code = "llm_error"
    http_status = 502
    exit_code = 69


class LlmAuthError(AuthenticationError):
    """No key, or the provider rejected it (HTTP 401)."""

    code = "llm_auth_failed"


class LlmCreditsError(LlmError):
    """The account or key ran out of credits (HTTP 402): a human must top it up."""

    code = "llm_out_of_credits"
    http_status = 402


class LlmForbiddenError(PermissionDeniedError):
    """Moderation or guardrail refusal (HTTP 403)."""

    code = "llm_forbidden"


class LlmBadRequestError(ValidationError):
    """The provider rejected the request (HTTP 400: bad parameter, context too long...)."""

    code = "llm_bad_request"


class LlmUnavailableError(LlmError):
    """Rate limited, timed out or provider down, and retries did not help."""

    code = "llm_unavailable"
    http_status = 503


class LlmModelError(ConfigurationError):
    """The configured model does not exist or cannot call tools."""

    code = "llm_unknown_model"


class LlmClient(Protocol):
    async def complete(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """One chat completion; raises an :class:`LlmError` family member on failure."""
        ...

    async def list_models(self) -> list[ModelInfo]: ...
