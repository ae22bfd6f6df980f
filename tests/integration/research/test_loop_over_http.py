"""The research loop through the real clients over HTTP to fake OpenRouter, Serper and web."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time

import pytest

from desk.domain.research import StopReason
from desk.services.research_loop import run_research

from .conftest import OR_KEY, WEB_FIXTURES, Events, conversation, research_request

pytestmark = pytest.mark.anyio


async def test_full_run_searches_reads_quotes_and_proposes(
    openrouter, stack_factory, servers
) -> None:
    convo = conversation("infosys_research.json")
    fake, url = openrouter(convo["script"])
    stack = stack_factory(url)
    events = Events()
    result = await run_research(
        research_request(convo["query"]), stack.llm, stack.toolbox, on_event=events
    )

    assert result.stop_reason is StopReason.ANSWERED and result.steps == 4
    assert (
        result.report.startswith("## Infosys: Aurora Rail contract") and "```" not in result.report
    )
    (idea,) = result.proposals
    assert (idea.instrument, idea.side.value, idea.quantity) == ("NSE:INFY", "BUY", 10)
    opened, rumour = idea.evidence
    page_bytes = (WEB_FIXTURES / "infosys-contract.html").read_bytes()
    assert opened.opened and opened.content_sha256 == hashlib.sha256(page_bytes).hexdigest()
    assert opened.fetched_at is not None
    assert not rumour.opened and idea.unopened_citations == (
        "https://example.invalid/never-opened-rumour",
    )
    assert str(result.usage.cost_usd) == "0.0153" and result.usage.total_tokens == 3747
    assert idea.provenance is not None and idea.provenance.run_cost_usd == result.usage.cost_usd

    # the wire: the key went in the header; each request repeated the same tools array;
    # tool results went back as role=tool messages tied to the call ids
    assert all(h["authorization"] == f"Bearer {OR_KEY}" for h in fake.headers)
    assert all(h["x-title"] == "Desk tests" for h in fake.headers)
    tool_names = [[t["function"]["name"] for t in r["tools"]] for r in fake.requests]
    assert all(names == tool_names[0] for names in tool_names) and "google_search" in tool_names[0]
    second = fake.requests[1]["messages"]
    assert second[-2]["tool_calls"][0]["id"] == "call_s1" and second[-1]["role"] == "tool"
    found = json.loads(second[-1]["content"])
    assert found["results"][0]["link"].endswith("/pages/infosys-contract.html")
    page = json.loads(fake.requests[2]["messages"][-1]["content"])
    assert "Aurora Rail Corporation" in page["text"] and "Chronicle Prime" not in page["text"]
    assert json.loads(fake.requests[3]["messages"][-1]["content"]) == {"NSE:INFY": "1512.40"}
    assert ("serper", "Infosys contract Aurora Rail") in servers.search.queries
    kinds = [k for k, _ in events.items]
    assert kinds.count("tool_result") == 3 and kinds[-2:] == ["proposal", "final"]


async def test_parallel_tool_calls_in_one_step(openrouter, stack_factory) -> None:
    convo = conversation("parallel_reading.json")
    fake, url = openrouter(convo["script"])
    stack = stack_factory(url)
    events = Events()
    result = await run_research(
        research_request(convo["query"]), stack.llm, stack.toolbox, on_event=events
    )
    assert result.stop_reason is StopReason.ANSWERED and result.proposals == ()
    assert [p["id"] for p in events.of("tool_result")] == ["call_p1", "call_p2", "call_p3"]
    assert not any(p["is_error"] for p in events.of("tool_result"))
    assert {p.title for p in result.opened_pages} == {
        "Fictional blast furnace outage halts output at Tata Steel's Kalinganagar unit",
        "RBI holds fictional repo rate at 5.75 per cent, flags food prices",
    }
    replies = fake.requests[1]["messages"][-3:]
    assert [m["tool_call_id"] for m in replies] == ["call_p1", "call_p2", "call_p3"]


async def test_parallel_fetches_overlap_in_time(openrouter, stack_factory, servers) -> None:
    calls = [
        {"id": f"c{i}", "name": "open_webpage", "arguments": {"url": "$WEB/slow?delay=0.4"}}
        for i in range(3)
    ]
    _, url = openrouter([{"tool_calls": calls}, {"content": "done"}])
    stack = stack_factory(url)
    started = time.monotonic()
    result = await run_research(research_request("q"), stack.llm, stack.toolbox)
    assert result.stop_reason is StopReason.ANSWERED
    assert time.monotonic() - started < 1.0  # three 0.4 s fetches, concurrently (not 1.2 s)


async def test_rate_limit_then_success_honours_retry_after(openrouter, stack_factory) -> None:
    fake, url = openrouter(
        [{"status": 429, "retry_after": "1", "message": "rate limited"}, {"content": "All quiet."}]
    )
    stack = stack_factory(url)
    started = time.monotonic()
    result = await run_research(research_request("q"), stack.llm, stack.toolbox)
    assert time.monotonic() - started >= 1.0
    assert result.stop_reason is StopReason.ANSWERED and result.report == "All quiet."
    assert len(fake.requests) == 2


async def test_out_of_credits_fails_the_run_clearly(openrouter, stack_factory) -> None:
    fake, url = openrouter([{"status": 402, "message": "Insufficient credits"}])
    events = Events()
    stack = stack_factory(url)
    result = await run_research(research_request("q"), stack.llm, stack.toolbox, on_event=events)
    assert result.stop_reason is StopReason.FAILED and len(fake.requests) == 1
    (error,) = events.of("error")
    assert error["code"] == "llm_out_of_credits" and "Insufficient credits" in error["message"]
    assert events.of("final")[0]["stop_reason"] == "failed"


async def test_choice_error_and_server_error_are_retried(openrouter, stack_factory) -> None:
    fake, url = openrouter(
        [
            {"status": 500},
            {"choice_error": {"code": 502, "message": "provider failed mid-generation"}},
            {"empty": True},
            {"content": "Recovered."},
        ]
    )
    result = await run_research(
        research_request("q"), stack_factory(url).llm, stack_factory(url).toolbox
    )
    assert result.report == "Recovered." and len(fake.requests) == 4


async def test_malformed_arguments_come_back_as_tool_errors(openrouter, stack_factory) -> None:
    fake, url = openrouter(
        [
            {
                "tool_calls": [
                    {"id": "c1", "name": "open_webpage", "arguments": '{"url": "$WEB'},
                    {"id": "c2", "name": "google_search", "arguments": {"query": ""}},
                ]
            },
            {"content": "Could not research."},
        ]
    )
    events = Events()
    stack = stack_factory(url)
    result = await run_research(research_request("q"), stack.llm, stack.toolbox, on_event=events)
    assert result.stop_reason is StopReason.ANSWERED
    errors = [json.loads(m["content"])["error"] for m in fake.requests[1]["messages"][-2:]]
    assert "not valid JSON" in errors[0] and "query" in errors[1]
    assert all(p["is_error"] for p in events.of("tool_result"))


async def test_token_budget_stop_over_http(openrouter, stack_factory) -> None:
    big = {"prompt_tokens": 5000, "completion_tokens": 100, "cost": 0.02}
    call = {
        "tool_calls": [{"id": "c", "name": "get_ltp", "arguments": {"instruments": ["NSE:INFY"]}}],
        "usage": big,
    }
    fake, url = openrouter([call, call, call])
    events = Events()
    stack = stack_factory(url)
    result = await run_research(
        research_request("q", max_tokens=8000), stack.llm, stack.toolbox, on_event=events
    )
    assert result.stop_reason is StopReason.BUDGET_TOKENS and len(fake.requests) == 2
    assert "token budget" in events.of("final")[0]["message"]


async def test_cancel_during_slow_fetch_takes_effect_within_a_second(
    openrouter, stack_factory
) -> None:
    _, url = openrouter(
        [
            {
                "tool_calls": [
                    {"id": "c1", "name": "open_webpage", "arguments": {"url": "$WEB/slow?delay=20"}}
                ]
            },
            {"content": "never"},
        ]
    )
    stack = stack_factory(url)
    cancel = asyncio.Event()
    events = Events()
    task = asyncio.create_task(
        run_research(
            research_request("q"), stack.llm, stack.toolbox, on_event=events, cancel=cancel
        )
    )
    await asyncio.sleep(0.3)
    cancel_at = time.monotonic()
    cancel.set()
    result = await asyncio.wait_for(task, 5)
    assert time.monotonic() - cancel_at < 1.0
    assert result.stop_reason is StopReason.CANCELED
    assert [p["name"] for p in events.of("tool_call")] == ["open_webpage"]
    assert events.of("tool_result") == []


async def test_cancel_during_slow_model_call(openrouter, stack_factory) -> None:
    _, url = openrouter([{"content": "late", "delay_s": 10}])
    stack = stack_factory(url)
    cancel = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, cancel.set)
    started = time.monotonic()
    result = await run_research(research_request("q"), stack.llm, stack.toolbox, cancel=cancel)
    assert result.stop_reason is StopReason.CANCELED and time.monotonic() - started < 1.2


async def test_wrong_key_is_an_auth_failure(openrouter, stack_factory) -> None:
    _, url = openrouter([{"content": "x"}], api_key="sk-or-v1-someone-else")
    events = Events()
    stack = stack_factory(url)
    result = await run_research(research_request("q"), stack.llm, stack.toolbox, on_event=events)
    assert result.stop_reason is StopReason.FAILED
    assert events.of("error")[0]["code"] == "llm_auth_failed"


async def test_model_catalogue_over_http(openrouter, stack_factory) -> None:
    _, url = openrouter([])
    llm = stack_factory(url).llm
    models = {m.id: m for m in await llm.list_models()}
    assert models["fake/analyst-1"].supports_tools and not models["fake/no-tools"].supports_tools
    assert (await llm.validate_model("fake/analyst-1")).completion_price > 0


async def test_streamed_run_matches_the_plain_run(openrouter, stack_factory) -> None:
    convo = conversation("infosys_research.json")
    _, plain_url = openrouter(convo["script"])
    streamed_fake, streamed_url = openrouter(convo["script"])
    plain = await run_research(
        research_request(convo["query"]), *_llm_and_tools(stack_factory(plain_url))
    )
    streamed = await run_research(
        research_request(convo["query"]), *_llm_and_tools(stack_factory(streamed_url, stream=True))
    )
    assert all(r["stream"] is True for r in streamed_fake.requests)
    assert streamed.report == plain.report and streamed.usage == plain.usage
    assert streamed.proposals == plain.proposals and streamed.steps == 4


async def test_mid_stream_errors_are_mapped_and_retried(openrouter, stack_factory) -> None:
    fake, url = openrouter(
        [
            {
                "content": "partial answ",
                "stream_error": {"code": 502, "message": "provider dropped"},
            },
            {"content": "Complete answer."},
            {"content": "x", "stream_error": {"code": 402, "message": "credits ran out"}},
        ]
    )
    stack = stack_factory(url, stream=True)
    first = await run_research(research_request("q"), stack.llm, stack.toolbox)
    assert first.report == "Complete answer." and len(fake.requests) == 2
    events = Events()
    second = await run_research(research_request("q"), stack.llm, stack.toolbox, on_event=events)
    assert second.stop_reason is StopReason.FAILED
    assert events.of("error")[0]["code"] == "llm_out_of_credits"


def _llm_and_tools(stack):
    return stack.llm, stack.toolbox
