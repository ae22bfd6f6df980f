"""Research-loop values: chat messages, tool calls, usage, budgets, opened pages and proposals.

Pure frozen dataclasses; the OpenRouter adapter converts the wire format to and from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call requested by the model. ``arguments`` is the raw JSON *string*."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    @classmethod
    def system(cls, text: str) -> ChatMessage:
        return cls(Role.SYSTEM, text)

    @classmethod
    def user(cls, text: str) -> ChatMessage:
        return cls(Role.USER, text)

    @classmethod
    def tool(cls, call_id: str, name: str, text: str) -> ChatMessage:
        return cls(Role.TOOL, text, tool_call_id=call_id, name=name)


ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts and cost in USD (OpenRouter credits) of one or more completions."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = ZERO

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """What the model is told about a tool: name, description and a JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Completion:
    """One model answer: the assistant message, why it stopped, usage, the serving model."""

    message: ChatMessage
    finish_reason: str
    usage: Usage
    model: str
    generation_id: str = ""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model from the catalogue; prices are USD per token."""

    id: str
    name: str
    context_length: int
    prompt_price: Decimal
    completion_price: Decimal
    supports_tools: bool

    def cost_of(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        return self.prompt_price * prompt_tokens + self.completion_price * completion_tokens


@dataclass(frozen=True, slots=True)
class OpenedPage:
    """A page the run actually fetched: proposals cite these."""

    url: str
    final_url: str
    content_sha256: str
    fetched_at: datetime
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResult:
    """``content`` goes back to the model; ``summary`` goes to the run's events."""

    content: str
    summary: str
    is_error: bool = False
    opened_pages: tuple[OpenedPage, ...] = ()


@dataclass(frozen=True, slots=True)
class Budget:
    max_steps: int = 8
    max_tokens: int | None = None
    max_cost_usd: Decimal | None = None

    def exceeded_by(self, usage: Usage) -> str | None:
        """The name of the limit that ``usage`` reached, or None."""
        if self.max_tokens is not None and usage.total_tokens >= self.max_tokens:
            return "tokens"
        if self.max_cost_usd is not None and usage.cost_usd >= self.max_cost_usd:
            return "cost"
        return None


@dataclass(frozen=True, slots=True)
class ResearchRequest:
    run_id: str
    model: str
    system_prompt: str
    query: str
    budget: Budget
    config_version: int | None = None
    temperature: float | None = None
    max_tokens_per_call: int | None = None
    notes: tuple[str, ...] = ()  # e.g. "google_search is disabled for this run: ..."


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


@dataclass(frozen=True, slots=True)
class Citation:
    """A URL a proposal relies on. ``opened`` is False when the run never fetched it."""

    url: str
    opened: bool
    content_sha256: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProposalProvenance:
    run_id: str
    config_version: int | None
    model: str
    run_cost_usd: Decimal


@dataclass(frozen=True, slots=True)
class TradeIdea:
    """A structured trade proposal from the model, before risk checks and approvals."""

    instrument: str
    side: Side
    quantity: int
    order_type: str
    product: str
    rationale: str
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    evidence: tuple[Citation, ...] = ()
    provenance: ProposalProvenance | None = None

    @property
    def unopened_citations(self) -> tuple[str, ...]:
        return tuple(c.url for c in self.evidence if not c.opened)


class StopReason(StrEnum):
    ANSWERED = "answered"
    MAX_STEPS = "max_steps"
    BUDGET_TOKENS = "budget_tokens"
    BUDGET_COST = "budget_cost"
    CANCELED = "canceled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ResearchResult:
    stop_reason: StopReason
    report: str
    proposals: tuple[TradeIdea, ...]
    usage: Usage
    steps: int
    opened_pages: tuple[OpenedPage, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def succeeded(self) -> bool:
        return self.stop_reason is StopReason.ANSWERED
