"""Record a run over HTTP, replay it with no network: same events, same result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desk.adapters.replay.replay import ReplayLlm, ReplayToolbox, recorded_events, replay_request
from desk.adapters.replay.transcript import TranscriptError, load_transcript
from desk.domain.research import ResearchResult, StopReason
from desk.services.research_loop import run_research

from .conftest import Servers, conversation
from .recording import TRANSCRIPTS, record

pytestmark = pytest.mark.anyio


def normalised(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json.loads(json.dumps(events))


async def replay(transcript: dict[str, Any]) -> tuple[ResearchResult, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    result = await run_research(
        replay_request(transcript),
        ReplayLlm(transcript),
        ReplayToolbox(transcript),
        on_event=lambda kind, payload: events.append({"kind": kind, "payload": payload}),
    )
    return result, normalised(events)


async def test_record_then_replay_is_identical(
    openrouter, servers: Servers, tmp_path: Path
) -> None:
    convo = conversation("infosys_research.json")
    _, url = openrouter(convo["script"])
    recorder, live = await record(convo, "run-rec-1", url, servers.search_url)
    path = tmp_path / "run.json"
    recorder.save(path)
    transcript = load_transcript(path)

    replayed, events = await replay(transcript)
    assert events == normalised(recorded_events(transcript))
    assert replayed == live  # report, proposals with citations, usage, opened pages
    again, events_again = await replay(transcript)
    assert again == replayed and events_again == events


@pytest.mark.parametrize("name", ["infosys_research", "parallel_reading"])
async def test_shipped_transcripts_replay_to_their_recorded_events(name: str) -> None:
    transcript = load_transcript(TRANSCRIPTS / f"{name}.json")
    result, events = await replay(transcript)
    assert events == normalised(recorded_events(transcript))
    assert result.stop_reason is StopReason.ANSWERED


async def test_failed_run_replays_its_failure(openrouter, servers: Servers) -> None:
    convo = {"query": "q", "script": [{"status": 402, "message": "Insufficient credits"}]}
    _, url = openrouter(convo["script"])
    recorder, live = await record(convo, "run-rec-2", url, servers.search_url)
    replayed, events = await replay(json.loads(json.dumps(recorder.transcript())))
    assert live.stop_reason is replayed.stop_reason is StopReason.FAILED
    assert events == normalised(recorder.transcript()["events"])


async def test_a_diverging_replay_fails_clearly() -> None:
    transcript = load_transcript(TRANSCRIPTS / "infosys_research.json")
    transcript["request"]["query"] = "Something else entirely"
    result, events = await replay(transcript)
    assert result.stop_reason is StopReason.FAILED
    assert events[-2]["payload"]["code"] == "replay_diverged"


def test_bad_transcripts_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"format": "something"}))
    with pytest.raises(TranscriptError):
        load_transcript(path)
    path.write_text("{not json")
    with pytest.raises(TranscriptError):
        load_transcript(path)
