"""The running promotion service: runtime, research runner, execution, housekeeping, bot.

One ``DeskServer`` per process owns the store (DuckDB admits one process per file). The
FastAPI lifespan starts and stops it; ``desk up`` and the tests use it the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from desk.adapters.execution_dispatcher import ExecutionDispatcher
from desk.adapters.kite.rate_limit import OrderRateLimits
from desk.adapters.openrouter.catalog import OpenRouterCatalog
from desk.adapters.prefect_runner import PrefectRunner
from desk.adapters.research_engine import DeskResearchEngine
from desk.adapters.runner import InProcessRunner
from desk.adapters.store.per_call import execution_repository, paper_ledger
from desk.adapters.trading_venue import (
    DEFAULT_PAPER_CASH_PAISE,
    Venue,
    VenueSelector,
    paper_venue,
)
from desk.bootstrap import Runtime
from desk.demo_data import TRANSCRIPTS
from desk.domain.instruments import Instrument
from desk.domain.runs import AnalysisRun
from desk.services import kite_login, proposals, runs, transactions, vault
from desk.services.ports.events import DomainEvent
from desk.services.proposals import INSTRUMENTS_LOADED
from desk.telegram_runtime import TelegramRuntime

log = structlog.get_logger(__name__)
HOUSEKEEPING_SECONDS = 5.0
KEY_PURGE_EVERY = timedelta(hours=1)


def _instruments(rt: Runtime) -> list[Instrument]:
    with rt.uow(write=False) as uow:
        return uow.instruments.all()


@dataclass
class DeskServer:
    runtime: Runtime
    housekeeping_seconds: float = HOUSEKEEPING_SECONDS
    engine: DeskResearchEngine = field(init=False)
    runner: InProcessRunner | PrefectRunner = field(init=False)
    paper: Venue = field(init=False)
    dispatcher: ExecutionDispatcher = field(init=False)
    telegram: TelegramRuntime | None = field(init=False, default=None)
    catalog: OpenRouterCatalog = field(init=False)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _thread: threading.Thread | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        rt = self.runtime
        home_transcripts = rt.settings.home / "transcripts"
        self.engine = DeskResearchEngine(
            rt.settings,
            rt.clock,
            llm_key_for=lambda uid: vault.reveal_llm_key(rt, uid),
            transcript_dirs=[home_transcripts, TRANSCRIPTS],
            record_dir=home_transcripts,
        )
        ledger = paper_ledger(rt.db)
        if ledger.cash_paise() == 0 and not ledger.fills():
            ledger.deposit(DEFAULT_PAPER_CASH_PAISE)
        repo = execution_repository(rt.db)
        self._ledger, self._repo = ledger, repo
        self.paper = paper_venue(
            instruments=_instruments(rt), ledger=ledger, repo=repo, clock=rt.clock, ids=rt.ids,
            max_fill_quantity=rt.settings.paper_max_fill_quantity,
        )  # fmt: skip
        self._unsubscribe = rt.events.subscribe(self._on_event)
        selector = VenueSelector(
            rt, self.paper, repo, kite_root=rt.settings.kite_root,
            rate_limits=OrderRateLimits(
                per_second=rt.settings.kite_orders_per_second,
                per_minute=rt.settings.kite_orders_per_minute,
                per_day=rt.settings.kite_orders_per_day,
            ),
            market_protection=rt.settings.kite_market_protection,
        )  # fmt: skip
        self.dispatcher = ExecutionDispatcher(rt, self.paper, venues=selector)
        self.catalog = OpenRouterCatalog(
            base_url=rt.settings.openrouter_base_url,
            key_for=lambda uid: vault.reveal_llm_key(rt, uid),
            referer=rt.settings.openrouter_http_referer,
            app_title=rt.settings.openrouter_app_title,
        )
        if rt.settings.runner == "prefect":
            self.runner = PrefectRunner(
                rt, self.engine, desk_home=str(rt.settings.home.resolve()), proposals=self.sink
            )
        else:
            self.runner = InProcessRunner(
                rt, self.engine, concurrency=rt.settings.runner_concurrency, proposals=self.sink
            )
        if rt.settings.telegram_bot_token is not None:
            self.telegram = TelegramRuntime(rt)

    def _on_event(self, event: DomainEvent) -> None:
        if event.topic == INSTRUMENTS_LOADED:
            fresh = paper_venue(
                instruments=_instruments(self.runtime), ledger=self._ledger, repo=self._repo,
                clock=self.runtime.clock, ids=self.runtime.ids,
                max_fill_quantity=self.runtime.settings.paper_max_fill_quantity,
            )  # fmt: skip
            self.paper.replace_with(fresh)

    def sink(self, run: AnalysisRun, ideas: list[dict[str, object]]) -> list[str]:
        """A completed run's proposals go through risk into approval requests."""
        return proposals.from_run(self.runtime, self.paper.market, run.agent_id, run.id, ideas)

    def start(self) -> None:
        """Recover first (interrupted runs, executions left mid-flight), then keep ticking."""
        interrupted = runs.recover_interrupted(self.runtime)
        if interrupted:
            log.warning("runs_interrupted_by_restart", count=len(interrupted))
        self.dispatcher.recover()
        if self.telegram is not None:
            self.telegram.start()
        self._thread = threading.Thread(target=self._loop, name="desk-housekeeping", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        reminded: set[tuple[str, datetime]] = set()
        purged_at: datetime | None = None
        while not self._stop.wait(self.housekeeping_seconds):
            try:
                self.dispatcher.tick()
                kite_login.remind_expiring(self.runtime, reminded)
                purged_at = self._purge_keys(purged_at)
            except Exception:
                log.exception("housekeeping_failed")

    def _purge_keys(self, last: datetime | None) -> datetime:
        """Hourly: forget Idempotency-Keys past their lifetime."""
        now = self.runtime.clock.now()
        if last is not None and now - last < KEY_PURGE_EVERY:
            return last
        purged = transactions.purge_idempotency_keys(self.runtime)
        if purged:
            log.info("idempotency_keys_purged", count=purged)
        return now

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.runner.alive

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.runner.shutdown(wait=False)
        self.dispatcher.close()
        if self.telegram is not None:
            self.telegram.stop()
