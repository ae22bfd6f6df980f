"""The real research engine: OpenRouter + search + web + market data, or a replay."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from desk.adapters.replay.recorder import Recorder
from desk.adapters.replay.replay import ReplayLlm, ReplayToolbox, replay_request
from desk.adapters.replay.transcript import load_transcript
from desk.domain.clock import Clock
from desk.domain.errors import NotFoundError, ValidationError
from desk.domain.research import ResearchRequest
from desk.domain.secret import Secret
from desk.services.ports.llm import LlmClient
from desk.services.ports.market_data import MarketData
from desk.services.ports.research_engine import EventSink, ResearchSession, RunSetup
from desk.services.ports.research_tools import Toolbox
from desk.services.research_toolbox import LocalToolbox
from desk.settings import DeskSettings

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _secret(value: Any) -> Secret | None:
    return Secret(value.get_secret_value()) if value is not None else None


class _FileRecording:
    """Implements :class:`desk.services.ports.research_engine.RunRecording`."""

    def __init__(self, recorder: Recorder, path: Path) -> None:
        self._recorder = recorder
        self._path = path

    def llm(self, inner: LlmClient) -> LlmClient:
        return self._recorder.llm(inner)

    def toolbox(self, inner: Toolbox) -> Toolbox:
        return self._recorder.toolbox(inner)

    def events(self, forward: EventSink) -> EventSink:
        return self._recorder.events(forward)

    def save(self) -> str:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._recorder.save(self._path)
        return self._path.stem


class DeskResearchEngine:
    """Implements :class:`desk.services.ports.research_engine.ResearchEngine`."""

    def __init__(
        self,
        settings: DeskSettings,
        clock: Clock,
        *,
        llm_key_for: Callable[[str], Secret | None],
        market: MarketData | None = None,
        transcript_dirs: Sequence[Path] = (),
        record_dir: Path | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._key_for = llm_key_for
        self._market = market
        self._dirs = list(transcript_dirs)
        self._record_dir = record_dir

    def recording(self, request: ResearchRequest) -> _FileRecording | None:
        """Live runs are recorded to ``<record_dir>/run-<id>.json`` (replay by that name)."""
        if self._record_dir is None:
            return None
        return _FileRecording(Recorder(request), self._record_dir / f"run-{request.run_id}.json")

    # -- replays ---------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        if not NAME.match(name):
            raise ValidationError(
                "a replay is the name of a transcript (letters, digits, . _ -)",
                fields={"replay": "invalid name"},
            )
        stem = name.removesuffix(".json")
        for folder in self._dirs:
            candidate = folder / f"{stem}.json"
            if candidate.is_file():
                return candidate
        known = ", ".join(self.transcripts()) or "none"
        raise NotFoundError(
            f"no transcript {name!r} (known: {known})", fields={"replay": "unknown"}
        )

    def transcripts(self) -> list[str]:
        names = {p.stem for d in self._dirs if d.is_dir() for p in d.glob("*.json")}
        return sorted(names)

    def replay_request(self, name: str) -> ResearchRequest:
        return replay_request(load_transcript(self._path(name)))

    # -- sessions --------------------------------------------------------------------------
    @asynccontextmanager
    async def session(self, setup: RunSetup) -> AsyncIterator[ResearchSession]:
        if setup.replay is not None:
            transcript = load_transcript(self._path(setup.replay))
            yield ResearchSession(ReplayLlm(transcript), ReplayToolbox(transcript), ())
            return
        # The live tools (HTTP client, OpenRouter, search, fetch + trafilatura) are imported
        # here: replays, notebooks and flows that never go live skip ≈ 0.2 s of imports.
        import httpx

        from desk.adapters.openrouter.client import OpenRouterClient
        from desk.adapters.research_tools.search import build_web_search
        from desk.adapters.research_tools.toolset import build_toolset
        from desk.adapters.web.fetcher import SafeFetcher

        s = self._settings
        async with httpx.AsyncClient(timeout=30.0) as http:
            llm = OpenRouterClient(
                self._key_for(setup.owner_id),
                base_url=s.openrouter_base_url,
                referer=s.openrouter_http_referer,
                app_title=s.openrouter_app_title,
            )
            fetcher = SafeFetcher(self._clock, allow_private=s.allow_private_urls)
            search = build_web_search(
                http,
                serper_key=_secret(s.serper_api_key),
                cse_key=_secret(s.google_cse_api_key),
                cse_engine_id=s.google_cse_engine_id,
                serper_base_url=s.serper_base_url,
                cse_base_url=s.google_cse_base_url,
            )
            toolset = build_toolset(
                search=search, reader=fetcher, market=self._market, allowed=setup.tools or None
            )
            try:
                yield ResearchSession(llm, LocalToolbox(toolset.tools), toolset.notes)
            finally:
                await llm.aclose()
                await fetcher.aclose()
