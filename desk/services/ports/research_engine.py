"""What a research run needs from the outside world: a model, tools, and notes about them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from desk.domain.research import ResearchRequest
from desk.services.ports.llm import LlmClient
from desk.services.ports.research_tools import Toolbox


@dataclass(frozen=True, slots=True)
class RunSetup:
    run_id: str
    owner_id: str
    model: str
    tools: tuple[str, ...]
    replay: str | None  # a transcript name: re-execute it with no network


@dataclass(frozen=True, slots=True)
class ResearchSession:
    llm: LlmClient
    toolbox: Toolbox
    notes: tuple[str, ...]


EventSink = Callable[[str, dict[str, Any]], Awaitable[None] | None]


class RunRecording(Protocol):
    """Captures a live run (model exchanges, tool results, events) as a replayable transcript."""

    def llm(self, inner: LlmClient) -> LlmClient: ...
    def toolbox(self, inner: Toolbox) -> Toolbox: ...
    def events(self, forward: EventSink) -> EventSink: ...
    def save(self) -> str:
        """Write the transcript; returns the name a replay can use."""
        ...


class ResearchEngine(Protocol):
    def recording(self, request: ResearchRequest) -> RunRecording | None:
        """A recorder for a live run, or None when runs are not recorded."""
        ...

    def session(self, setup: RunSetup) -> AbstractAsyncContextManager[ResearchSession]:
        """Open the model and tools for one run; closes their connections afterwards."""
        ...

    def replay_request(self, name: str) -> ResearchRequest:
        """The recorded request of a transcript (query, model, budget); raises NotFoundError."""
        ...

    def transcripts(self) -> list[str]:
        """Names of the transcripts that can be replayed."""
        ...
