"""The loop against in-process fakes: steps, budgets, cancel, tool errors, proposals."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from desk.adapters.research_fakes.market import FakeMarketData
from desk.adapters.research_fakes.scripted_llm import ScriptedLlm
from desk.adapters.research_tools.market import market_data_tools
from desk.adapters.research_tools.typed import TypedTool
from desk.domain.research import (
    Budget,
    OpenedPage,
    ResearchRequest,
    StopReason,
    ToolResult,
)
from desk.services.research_loop import run_research
from desk.services.research_toolbox import LocalToolbox

pytestmark = pytest.mark.anyio

FETCHED_AT = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


class UrlArgs(BaseModel):
    url: str


def page_tool(delay_s: float = 0.0, log: list[str] | None = None) -> TypedTool[UrlArgs]:
    async def handle(args: UrlArgs) -> ToolResult:
        if log is not None:
            log.append(f"start {args.url}")
        await asyncio.sleep(delay_s)
        if log is not None:
            log.append(f"end {args.url}")
        page = OpenedPage(args.url, args.url, "ab" * 32, FETCHED_AT, "A page")
        return ToolResult(
            json.dumps({"text": "page text"}), f"opened {args.url}", opened_pages=(page,)
        )

    return TypedTool("open_webpage", "Open a page.", UrlArgs, handle)


def toolbox(delay_s: float = 0.0, log: list[str] | None = None) -> LocalToolbox:
    market = FakeMarketData({"NSE:INFY": Decimal("1512.40")})
    return LocalToolbox([page_tool(delay_s, log), *market_data_tools(market)])


def request(max_steps: int = 6, **budget: Any) -> ResearchRequest:
    return ResearchRequest(
        run_id="run-1",
        model="fake/analyst-1",
        system_prompt="You are a careful analyst.",
        query="Research INFY.",
        budget=Budget(max_steps=max_steps, **budget),
        config_version=3,
    )


def answer(proposals: object) -> dict[str, Any]:
    block = json.dumps({"proposals": proposals})
    return {"content": f"Report body.\n\n```json\n{block}\n```"}


PROPOSAL = {
    "instrument": "NSE:INFY",
    "side": "BUY",
    "quantity": 5,
    "order_type": "LIMIT",
    "price": "1500.50",
    "product": "CNC",
    "rationale": "Order win.",
    "evidence": ["https://news.example/a", "https://news.example/never"],
}


def open_call(call_id: str, url: str) -> dict[str, Any]:
    return {"id": call_id, "name": "open_webpage", "arguments": {"url": url}}


class Events:
    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        self.items.append((kind, payload))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.items]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [p for k, p in self.items if k == kind]


async def test_answer_with_cited_proposal_carries_hash_and_flags_unopened() -> None:
    llm = ScriptedLlm(
        [{"tool_calls": [open_call("c1", "https://news.example/a")]}, answer([PROPOSAL])]
    )
    events = Events()
    result = await run_research(request(), llm, toolbox(), on_event=events)
    assert result.stop_reason is StopReason.ANSWERED
    assert result.report == "Report body."
    (idea,) = result.proposals
    assert idea.price == Decimal("1500.50")
    opened, claimed = idea.evidence
    assert opened.opened and opened.content_sha256 == "ab" * 32 and opened.fetched_at == FETCHED_AT
    assert not claimed.opened and idea.unopened_citations == ("https://news.example/never",)
    assert idea.provenance is not None and idea.provenance.run_id == "run-1"
    assert idea.provenance.config_version == 3 and idea.provenance.run_cost_usd == Decimal("0.0012")
    assert events.kinds() == [
        "start",
        "step",
        "usage",
        "message",
        "tool_call",
        "tool_result",
        "step",
        "usage",
        "message",
        "proposal",
        "final",
    ]
    assert events.of("final")[0]["stop_reason"] == "answered"
    # the tool result went back to the model, tied to its call id
    tool_msg = llm.calls[1][-1]
    assert tool_msg.tool_call_id == "c1" and "page text" in (tool_msg.content or "")


async def test_independent_tool_calls_run_concurrently() -> None:
    log: list[str] = []
    calls = [open_call(f"c{i}", f"https://news.example/{i}") for i in range(3)]
    llm = ScriptedLlm([{"tool_calls": calls}, answer([])])
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await run_research(request(), llm, toolbox(delay_s=0.3, log=log))
    assert loop.time() - started < 0.6  # three 0.3 s tools, not 0.9 s
    assert log[:3] == [f"start https://news.example/{i}" for i in range(3)]
    assert result.stop_reason is StopReason.ANSWERED and result.proposals == ()
    assert [m.tool_call_id for m in llm.calls[1][-3:]] == ["c0", "c1", "c2"]


async def test_step_budget_stops_with_final_event() -> None:
    looping = [{"tool_calls": [open_call(f"c{i}", "https://news.example/a")]} for i in range(5)]
    events = Events()
    result = await run_research(
        request(max_steps=3), ScriptedLlm(looping), toolbox(), on_event=events
    )
    assert result.stop_reason is StopReason.MAX_STEPS and result.steps == 3
    final = events.of("final")[0]
    assert final["stop_reason"] == "max_steps" and "step budget of 3" in final["message"]


async def test_token_budget_stops_before_running_more_tools() -> None:
    heavy = {"prompt_tokens": 900, "completion_tokens": 200, "cost": 0.01}
    script = [{"tool_calls": [open_call("c1", "https://news.example/a")], "usage": heavy}] * 3
    events = Events()
    result = await run_research(
        request(max_tokens=2000), ScriptedLlm(script), toolbox(), on_event=events
    )
    assert result.stop_reason is StopReason.BUDGET_TOKENS
    assert result.steps == 2 and result.usage.total_tokens == 2200
    assert len(events.of("tool_result")) == 1
    assert "token budget of 2000" in events.of("final")[0]["message"]


async def test_cost_budget_stops() -> None:
    script = [
        {
            "tool_calls": [open_call("c1", "https://news.example/a")],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "cost": 0.02},
        }
    ] * 3
    result = await run_research(
        request(max_cost_usd=Decimal("0.03")), ScriptedLlm(script), toolbox()
    )
    assert result.stop_reason is StopReason.BUDGET_COST
    assert result.usage.cost_usd == Decimal("0.04")


async def test_malformed_arguments_and_unknown_tool_go_back_to_the_model() -> None:
    script = [
        {
            "tool_calls": [
                {"id": "bad", "name": "open_webpage", "arguments": '{"url": '},
                {"id": "wrong", "name": "get_ltp", "arguments": {"instruments": "NSE:INFY"}},
                {"id": "empty", "name": "get_ltp", "arguments": ""},
                {"id": "ghost", "name": "sell_everything", "arguments": {}},
            ]
        },
        answer([]),
    ]
    llm = ScriptedLlm(script)
    events = Events()
    result = await run_research(request(), llm, toolbox(), on_event=events)
    assert result.stop_reason is StopReason.ANSWERED
    results = {p["id"]: p for p in events.of("tool_result")}
    assert all(p["is_error"] for p in results.values())
    assert "not valid JSON" in results["bad"]["summary"]
    assert "instruments" in results["wrong"]["summary"]
    assert "Field required" in results["empty"]["summary"]
    assert "Unknown tool 'sell_everything'" in results["ghost"]["summary"]
    sent = {m.tool_call_id: json.loads(m.content or "") for m in llm.calls[1][-4:]}
    assert set(sent) == {"bad", "wrong", "empty", "ghost"}
    assert all("error" in v for v in sent.values())


async def test_malformed_proposal_is_reported_back_once_then_recorded() -> None:
    bad = dict(PROPOSAL, quantity=-1)
    events = Events()
    llm = ScriptedLlm([answer([bad]), answer([dict(PROPOSAL, order_type="SL")])])
    result = await run_research(request(), llm, toolbox(), on_event=events)
    assert result.stop_reason is StopReason.ANSWERED and result.proposals == ()
    feedback = llm.calls[1][-1]
    assert feedback.role.value == "user" and "quantity" in (feedback.content or "")
    (error,) = events.of("error")
    assert error["code"] == "malformed_proposals" and "trigger_price" in error["message"]
    assert result.errors == (error["message"],)


async def test_corrected_proposal_after_feedback_is_accepted() -> None:
    llm = ScriptedLlm(
        [{"content": 'Report\n```json\n{"proposals": [oops]}\n```'}, answer([PROPOSAL])]
    )
    result = await run_research(request(), llm, toolbox())
    assert len(result.proposals) == 1 and result.errors == ()
    assert "not valid JSON" in (llm.calls[1][-1].content or "")


@pytest.mark.parametrize(
    ("status", "code"), [(402, "llm_out_of_credits"), (401, "llm_auth_failed")]
)
async def test_provider_error_fails_the_run_with_an_error_event(status: int, code: str) -> None:
    events = Events()
    result = await run_research(
        request(), ScriptedLlm([{"status": status}]), toolbox(), on_event=events
    )
    assert result.stop_reason is StopReason.FAILED
    assert events.of("error")[0]["code"] == code
    assert events.kinds()[-1] == "final"


async def test_cancel_before_start_makes_no_model_call() -> None:
    cancel = asyncio.Event()
    cancel.set()
    llm = ScriptedLlm([answer([])])
    result = await run_research(request(), llm, toolbox(), cancel=cancel)
    assert result.stop_reason is StopReason.CANCELED and llm.calls == []


async def test_cancel_during_slow_tool_takes_effect_quickly() -> None:
    cancel = asyncio.Event()
    llm = ScriptedLlm([{"tool_calls": [open_call("c1", "https://slow.example/")]}, answer([])])
    events = Events()
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, cancel.set)
    started = loop.time()
    result = await run_research(request(), llm, toolbox(delay_s=30), cancel=cancel, on_event=events)
    assert loop.time() - started < 1.0
    assert result.stop_reason is StopReason.CANCELED and len(llm.calls) == 1
    assert events.of("final")[0]["stop_reason"] == "canceled"
    assert events.of("tool_result") == []


async def test_async_event_sink_is_awaited() -> None:
    seen: list[str] = []

    async def sink(kind: str, payload: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        seen.append(kind)

    await run_research(request(), ScriptedLlm([answer([])]), toolbox(), on_event=sink)
    assert seen[0] == "start" and seen[-1] == "final"


async def test_system_prompt_carries_proposal_instructions_and_notes() -> None:
    llm = ScriptedLlm([answer([])])
    req = ResearchRequest(
        run_id="r",
        model="m",
        system_prompt="Be brief.",
        query="q",
        budget=Budget(),
        notes=("google_search is disabled for this run.",),
    )
    await run_research(req, llm, toolbox())
    system = llm.calls[0][0].content or ""
    assert system.startswith("Be brief.") and "```json" in system
    assert system.endswith("google_search is disabled for this run.")
    assert llm.tools_seen[0] == [
        "open_webpage",
        "get_ltp",
        "get_quote",
        "get_ohlc",
        "get_positions",
    ]
