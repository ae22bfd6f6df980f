"""The agentic research loop, written against the LLM and toolbox ports.

system prompt + query → model → (tool calls, run concurrently) → model → ... → a final answer:
report text plus structured proposals. It stops at the step, token or cost budget, on a provider
error, or when the cancel signal is set (checked before each model call and each tool call, and
raced against in-flight calls so a slow fetch cannot delay a cancel). Every step is reported
through ``on_event(kind, payload)``; payloads hold no wall-clock values, so a replay of the same
transcript emits exactly the same events.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from desk.domain.errors import DeskError
from desk.domain.research import (
    ChatMessage,
    Completion,
    OpenedPage,
    ProposalProvenance,
    ResearchRequest,
    ResearchResult,
    StopReason,
    ToolCall,
    ToolResult,
    TradeIdea,
    Usage,
)
from desk.services.ports.llm import LlmClient
from desk.services.ports.research_tools import Toolbox
from desk.services.research_proposals import PROPOSAL_INSTRUCTIONS, parse_answer, to_trade_idea

T = TypeVar("T")
EventSink = Callable[[str, dict[str, Any]], Awaitable[None] | None]
ARGUMENTS_PREVIEW = 500


class CancelSignal(Protocol):
    """``asyncio.Event`` satisfies this."""

    def is_set(self) -> bool: ...

    async def wait(self) -> Any: ...


class PollingCancel:
    """A :class:`CancelSignal` over a plain callable (e.g. a run's ``cancel_requested`` flag in
    the store), polled every ``interval_s`` while a call is in flight."""

    def __init__(self, check: Callable[[], bool], interval_s: float = 0.1) -> None:
        self._check = check
        self._interval = interval_s

    def is_set(self) -> bool:
        return self._check()

    async def wait(self) -> bool:
        while not self._check():
            await asyncio.sleep(self._interval)
        return True


class _Canceled(Exception):
    pass


class _Loop:
    def __init__(
        self,
        request: ResearchRequest,
        llm: LlmClient,
        toolbox: Toolbox,
        on_event: EventSink | None,
        cancel: CancelSignal | None,
    ) -> None:
        self.request = request
        self.llm = llm
        self.toolbox = toolbox
        self.on_event = on_event
        self.cancel = cancel
        self.usage = Usage()
        self.steps = 0
        self.opened: dict[str, OpenedPage] = {}
        self.errors: list[str] = []
        self.messages = [
            ChatMessage.system(self._system_text()),
            ChatMessage.user(request.query),
        ]

    def _system_text(self) -> str:
        parts = [self.request.system_prompt.strip(), PROPOSAL_INSTRUCTIONS, *self.request.notes]
        return "\n\n".join(p for p in parts if p)

    async def emit(self, kind: str, payload: dict[str, Any]) -> None:
        if self.on_event is None:
            return
        outcome = self.on_event(kind, payload)
        if inspect.isawaitable(outcome):
            await outcome

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise _Canceled

    async def race(self, work: Awaitable[T]) -> T:
        """Await ``work`` unless the cancel signal fires first (then cancel it)."""
        task = asyncio.ensure_future(work)
        if self.cancel is None:
            return await task
        waiter = asyncio.ensure_future(self.cancel.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise _Canceled

    async def run(self) -> ResearchResult:
        await self.emit(
            "start",
            {
                "run_id": self.request.run_id,
                "model": self.request.model,
                "tools": [s.name for s in self.toolbox.specs],
                "query": self.request.query,
            },
        )
        try:
            return await self._steps()
        except _Canceled:
            return await self.finish(StopReason.CANCELED, "", (), "Canceled by request.")
        except DeskError as exc:
            await self.emit("error", {"step": self.steps, "code": exc.code, "message": exc.message})
            self.errors.append(exc.message)
            return await self.finish(StopReason.FAILED, "", (), exc.message)

    async def _steps(self) -> ResearchResult:
        retried_proposals = False
        while self.steps < self.request.budget.max_steps:
            self.check_cancel()
            self.steps += 1
            await self.emit("step", {"step": self.steps})
            completion = await self.race(self._complete())
            message = completion.message
            self.messages.append(message)
            await self.emit("message", _message_payload(self.steps, message))
            if message.tool_calls:
                limit = self.request.budget.exceeded_by(self.usage)
                if limit is not None:
                    return await self._budget_stop(limit)
                await self._run_tools(message.tool_calls)
                continue
            parsed = parse_answer(message.content or "")
            if parsed.problem is not None and not retried_proposals:
                retried_proposals = True
                feedback = (
                    f"Your proposals block was rejected: {parsed.problem}. Send the "
                    "full final answer again with a corrected ```json block."
                )
                self.messages.append(ChatMessage.user(feedback))
                await self.emit("message", _message_payload(self.steps, self.messages[-1]))
                continue
            if parsed.problem is not None:
                await self._error("malformed_proposals", parsed.problem)
            return await self._answer(parsed.report, parsed.proposals)
        return await self.finish(
            StopReason.MAX_STEPS,
            "",
            (),
            f"Stopped: the step budget of {self.request.budget.max_steps} was used up.",
        )

    async def _complete(self) -> Completion:
        completion = await self.llm.complete(
            self.request.model,
            list(self.messages),
            list(self.toolbox.specs),
            temperature=self.request.temperature,
            max_tokens=self.request.max_tokens_per_call,
        )
        self.usage = self.usage + completion.usage
        await self.emit("usage", _usage_payload(self.steps, completion.usage, self.usage))
        return completion

    async def _run_tools(self, calls: Sequence[ToolCall]) -> None:
        for call in calls:
            self.check_cancel()
            await self.emit(
                "tool_call",
                {
                    "step": self.steps,
                    "id": call.id,
                    "name": call.name,
                    "arguments": call.arguments[:ARGUMENTS_PREVIEW],
                },
            )
        results: list[ToolResult] = await self.race(
            asyncio.gather(*(self.toolbox.invoke(call) for call in calls))
        )
        for call, result in zip(calls, results, strict=True):
            for page in result.opened_pages:
                self.opened.setdefault(page.url, page)
                self.opened.setdefault(page.final_url, page)
            self.messages.append(ChatMessage.tool(call.id, call.name, result.content))
            await self.emit(
                "tool_result",
                {
                    "step": self.steps,
                    "id": call.id,
                    "name": call.name,
                    "summary": result.summary,
                    "is_error": result.is_error,
                },
            )

    async def _budget_stop(self, limit: str) -> ResearchResult:
        budget = self.request.budget
        if limit == "tokens":
            text = f"Stopped: the token budget of {budget.max_tokens} was reached."
            return await self.finish(StopReason.BUDGET_TOKENS, "", (), text)
        text = f"Stopped: the cost budget of ${budget.max_cost_usd} was reached."
        return await self.finish(StopReason.BUDGET_COST, "", (), text)

    async def _error(self, kind: str, message: str) -> None:
        self.errors.append(message)
        await self.emit("error", {"step": self.steps, "code": kind, "message": message})

    async def _answer(self, report: str, proposals: Sequence[Any]) -> ResearchResult:
        provenance = ProposalProvenance(
            self.request.run_id,
            self.request.config_version,
            self.request.model,
            self.usage.cost_usd,
        )
        ideas = tuple(to_trade_idea(p, self.opened, provenance) for p in proposals)
        for idea in ideas:
            await self.emit("proposal", _proposal_payload(idea))
        return await self.finish(StopReason.ANSWERED, report, ideas, "Answered.")

    async def finish(
        self, reason: StopReason, report: str, ideas: tuple[TradeIdea, ...], text: str
    ) -> ResearchResult:
        result = ResearchResult(
            stop_reason=reason,
            report=report,
            proposals=ideas,
            usage=self.usage,
            steps=self.steps,
            opened_pages=tuple(dict.fromkeys(self.opened.values())),
            errors=tuple(self.errors),
        )
        await self.emit(
            "final",
            {
                "stop_reason": reason.value,
                "message": text,
                "steps": self.steps,
                "proposals": len(ideas),
                "report": report,
                **_usage_payload(self.steps, self.usage, self.usage),
            },
        )
        return result


async def run_research(
    request: ResearchRequest,
    llm: LlmClient,
    toolbox: Toolbox,
    *,
    on_event: EventSink | None = None,
    cancel: CancelSignal | None = None,
) -> ResearchResult:
    """Run one research loop to a final event. Provider errors end the run as ``failed``."""
    return await _Loop(request, llm, toolbox, on_event, cancel).run()


def _message_payload(step: int, message: ChatMessage) -> dict[str, Any]:
    return {
        "step": step,
        "role": message.role.value,
        "content": message.content,
        "tool_calls": [call.name for call in message.tool_calls],
    }


def _usage_payload(step: int, last: Usage, total: Usage) -> dict[str, Any]:
    return {
        "step": step,
        "prompt_tokens": last.prompt_tokens,
        "completion_tokens": last.completion_tokens,
        "cost_usd": str(last.cost_usd),
        "total_tokens": total.total_tokens,
        "total_cost_usd": str(total.cost_usd),
    }


def _proposal_payload(idea: TradeIdea) -> dict[str, Any]:
    return {
        "instrument": idea.instrument,
        "side": idea.side.value,
        "quantity": idea.quantity,
        "order_type": idea.order_type,
        "product": idea.product,
        "price": None if idea.price is None else str(idea.price),
        "trigger_price": None if idea.trigger_price is None else str(idea.trigger_price),
        "rationale": idea.rationale,
        "evidence": [
            _citation_payload(c.url, c.opened, c.content_sha256, c.fetched_at)
            for c in idea.evidence
        ],
        "unopened_citations": list(idea.unopened_citations),
    }


def _citation_payload(url: str, opened: bool, digest: str | None, at: Any) -> dict[str, Any]:
    return {
        "url": url,
        "opened": opened,
        "content_sha256": digest,
        "fetched_at": None if at is None else at.isoformat(),
    }


__all__ = ["CancelSignal", "EventSink", "PollingCancel", "ResearchRequest", "run_research"]
