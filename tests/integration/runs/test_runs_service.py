"""Analysis runs through the services and the in-process runner.

Replays run offline from the shipped transcripts; one live run goes through real HTTP to the
fake OpenRouter, Serper and web servers with the owner's key taken from the vault.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from desk.adapters.research_engine import DeskResearchEngine
from desk.adapters.research_fakes.openrouter import FakeOpenRouter
from desk.adapters.research_fakes.search import FakeSearch
from desk.adapters.research_fakes.server import serve_in_thread
from desk.adapters.research_fakes.web import FakeWeb
from desk.adapters.runner import InProcessRunner
from desk.bootstrap import Runtime
from desk.demo_data import TRANSCRIPTS
from desk.domain.clock import FixedClock
from desk.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from desk.domain.runs import RunStatus
from desk.domain.users import Actor, Channel
from desk.services import agents, approvals, runs, users, vault
from desk.services.ports.events import DomainEvent
from tests.integration.conftest import ROOT, People, make_agent, promote_to_paper
from tests.planted import plant

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
OR_KEY = plant("sk-or-v1-fake")  # the fake's expected key; planted so logs are scanned for it


def engine_for(rt: Runtime) -> DeskResearchEngine:
    recorded = rt.settings.home / "transcripts"
    return DeskResearchEngine(
        rt.settings, rt.clock, llm_key_for=lambda uid: vault.reveal_llm_key(rt, uid),
        transcript_dirs=[recorded, TRANSCRIPTS], record_dir=recorded,
    )  # fmt: skip


@pytest.fixture
def agent_id(runtime: Runtime, people: People) -> str:
    agent = make_agent(runtime, people, tools=["google_search", "open_webpage"])
    promote_to_paper(runtime, people, agent)
    return agent


def test_replayed_run_reproduces_the_recording(
    runtime: Runtime, people: People, agent_id: str
) -> None:
    engine = engine_for(runtime)
    published: list[DomainEvent] = []
    runtime.events.subscribe(published.append)
    run = runs.start_run(runtime, engine, people.owner, agent_id, replay="infosys_research")
    assert run.status is RunStatus.PENDING and run.query.startswith("Research the Infosys")
    runner = InProcessRunner(runtime, engine, concurrency=2)
    try:
        done = runner.run_now(run.id)
    finally:
        runner.shutdown()
    assert done.status is RunStatus.COMPLETED and done.stop_reason == "answered"
    assert done.proposals and done.proposals[0]["instrument"] == "NSE:INFY"
    assert done.proposals[0]["evidence"][0]["content_sha256"]
    events = runs.list_events(runtime, people.a1, agent_id, run.id, limit=500)
    text = (TRANSCRIPTS / "infosys_research.json").read_text()
    recorded = json.loads(text.replace('"demo-infosys_research"', f'"{run.id}"'))["events"]
    assert [(e.kind, e.payload) for e in events] == [(r["kind"], r["payload"]) for r in recorded]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert runs.list_events(runtime, people.a1, agent_id, run.id, after=3, limit=2)[0].seq == 4
    topics = [e.topic for e in published if e.subject_id == run.id]
    assert topics.count("run.status") == 2 and topics.count("run.event") == len(events)


def test_live_run_over_http_to_the_fakes(duck_runtime: Runtime, tmp_path: Path) -> None:

    rt = duck_runtime
    convo = json.loads((FIXTURES / "research" / "infosys_research.json").read_text())
    web = FakeWeb(FIXTURES / "web")
    with serve_in_thread(web.app) as web_url:
        fake = FakeOpenRouter(convo["script"], variables={"WEB": web_url}, api_key=OR_KEY)
        search = FakeSearch(convo["search_results"], variables={"WEB": web_url})
        with serve_in_thread(fake.app) as or_url, serve_in_thread(search.app) as s_url:
            rt.settings = rt.settings.model_copy(update={
                "openrouter_base_url": or_url + "/api/v1", "serper_base_url": s_url,
                "serper_api_key": SecretStr("serper-key"),
                "allow_private_urls": True,
            })  # fmt: skip
            owner = Actor.of(users.create_user(rt, ROOT, "olga"), Channel.API)
            a1 = Actor.of(users.create_user(rt, ROOT, "asha"), Channel.API)
            vault.add_llm_credential(rt, owner, api_key=OR_KEY)
            cfg = {
                "model": "fake/analyst-1",
                "system_prompt": "You are the Desk research analyst.",
                "universe": ["NSE:INFY"],
                "tools": ["google_search", "open_webpage"],
            }
            agent = agents.create_agent(
                rt, owner, name="live", config=cfg, approvers=[a1.user_id or ""]
            )
            promo = agents.request_promotion(rt, owner, agent.agent.id, 1)
            approvals.decide(rt, a1, promo.id, "approve")
            engine = engine_for(rt)
            run = runs.start_run(rt, engine, owner, agent.agent.id, query=convo["query"])
            done = InProcessRunner(rt, engine).run_now(run.id)
    assert done.status is RunStatus.COMPLETED, done.error
    assert fake.remaining == 0 and len(fake.requests) >= 2
    assert all(h["authorization"] == f"Bearer {OR_KEY}" for h in fake.headers)
    assert done.proposals and done.prompt_tokens > 0 and done.cost_usd > 0
    events = runs.list_events(rt, owner, agent.agent.id, run.id, limit=500)
    kinds = [e.kind for e in events]
    assert "tool_call" in kinds and kinds[-2:] == ["final", "recorded"]
    # The live run was recorded; replaying it reproduces it offline, no servers needed.
    name = events[-1].payload["transcript"]
    replayed = runs.start_run(rt, engine, owner, agent.agent.id, replay=name)
    again = InProcessRunner(rt, engine).run_now(replayed.id)
    assert again.status is RunStatus.COMPLETED and again.result_text == done.result_text
    assert again.proposals == done.proposals


def test_live_run_without_a_key_fails_clearly(
    runtime: Runtime, people: People, agent_id: str
) -> None:
    engine = engine_for(runtime)
    run = runs.start_run(runtime, engine, people.owner, agent_id, query="What moved INFY?")
    done = InProcessRunner(runtime, engine).run_now(run.id)
    assert done.status is RunStatus.FAILED and "key" in (done.error or "").lower()
    kinds = [e.kind for e in runs.list_events(runtime, people.owner, agent_id, run.id)]
    assert "error" in kinds


def test_bad_input_and_permissions(runtime: Runtime, people: People, agent_id: str) -> None:
    engine = engine_for(runtime)
    with pytest.raises(ValidationError, match="query"):
        runs.start_run(runtime, engine, people.owner, agent_id, query="  ")
    with pytest.raises(NotFoundError, match="no transcript"):
        runs.start_run(runtime, engine, people.owner, agent_id, replay="nope")
    with pytest.raises(ValidationError, match="replay"):
        runs.start_run(runtime, engine, people.owner, agent_id, replay="../../etc/passwd")
    with pytest.raises(PermissionDeniedError):
        runs.start_run(runtime, engine, people.a1, agent_id, query="x")
    with pytest.raises(NotFoundError):
        runs.start_run(runtime, engine, people.outsider, agent_id, query="x")
    with runtime.uow(write=False) as uow:
        assert uow.runs.search(agent_id=agent_id)[1] == 0


def test_cancel_pending_and_terminal(runtime: Runtime, people: People, agent_id: str) -> None:
    engine = engine_for(runtime)
    run = runs.start_run(runtime, engine, people.owner, agent_id, replay="parallel_reading")
    canceled = runs.cancel_run(runtime, people.owner, agent_id, run.id)
    assert canceled.status is RunStatus.CANCELED
    with pytest.raises(ConflictError) as info:
        runs.cancel_run(runtime, people.owner, agent_id, run.id)
    assert info.value.fields == {"status": "canceled"}


def test_history_filters_and_pages(
    runtime: Runtime, people: People, agent_id: str, clock: FixedClock
) -> None:
    engine = engine_for(runtime)
    ids = []
    for i, q in enumerate(["infosys contract", "tata steel exports", "infosys margins"]):
        ids.append(runs.start_run(runtime, engine, people.owner, agent_id, query=q).id)
        clock.advance(timedelta(days=1))
    page = runs.list_runs(runtime, people.a1, agent_id, q="INFOSYS", page_size=1)
    assert page.count == 2 and [r.id for r in page.items] == [ids[2]]
    oldest = runs.list_runs(runtime, people.a1, agent_id, order_by="created_at")
    assert [r.id for r in oldest.items] == ids
    day = (
        (clock.now() - timedelta(days=2))
        .astimezone(__import__("desk.domain.clock", fromlist=["IST"]).IST)
        .date()
    )
    one = runs.list_runs(runtime, people.a1, agent_id, date_from=str(day), date_to=str(day))
    assert [r.id for r in one.items] == [ids[1]]
    assert runs.list_runs(runtime, people.a1, agent_id, status="pending").count == 3
    assert runs.list_runs(runtime, people.a1, agent_id, q="100%_").count == 0  # escaped
    assert runs.list_runs(runtime, people.a1, agent_id, q="steel").count == 1
    for bad in (
        {"status": "done"},
        {"order_by": "name"},
        {"page": 0},
        {"page_size": 101},
        {"date_from": "25-11-2026"},
        {"date_from": "2026-11-27", "date_to": "2026-11-26"},
    ):
        with pytest.raises(ValidationError):
            runs.list_runs(runtime, people.a1, agent_id, **bad)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        runs.list_runs(runtime, people.outsider, agent_id)


def test_restart_marks_interrupted_runs_failed(
    runtime: Runtime, people: People, agent_id: str
) -> None:
    engine = engine_for(runtime)
    run = runs.start_run(runtime, engine, people.owner, agent_id, query="x")
    assert runs.recover_interrupted(runtime) == [run.id]
    failed = runs.get_run(runtime, people.owner, agent_id, run.id)
    assert failed.status is RunStatus.FAILED and "restarted" in (failed.error or "")
    assert runs.recover_interrupted(runtime) == []
