"""A desk opened inside a notebook process: the service functions, answering in DataFrames.

DuckDB admits one process per file, so a notebook must not open the store ``desk serve`` (or
a flow) is holding; by default it works on its own demo desk in a fresh temporary folder,
seeded with :func:`desk.services.demo.seed_demo`.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from desk.adapters.research_engine import DeskResearchEngine
from desk.adapters.system import market_hours_clock
from desk.bootstrap import Runtime, bootstrap
from desk.demo_data import INSTRUMENTS_CSV, TRANSCRIPTS
from desk.domain.agent_config import diff_configs, parse_agent_config
from desk.domain.agents import RESEARCH_TOOLS, ConfigVersion
from desk.domain.approval_model import ApprovalRequest
from desk.domain.errors import NotFoundError, ValidationError
from desk.domain.runs import AnalysisRun
from desk.domain.users import Actor, Channel
from desk.notebook import frames
from desk.notebook.render import diff_frame, problems_frame
from desk.services import agents, approvals, audit, demo, run_artifacts, runs, users, vault
from desk.services.agent_config import validate_cron
from desk.settings import DeskSettings, load_settings

if TYPE_CHECKING:
    from desk.client import Desk

PAGE = 100
AGENT_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "name": pl.String,
    "status": pl.String,
    "active_version": pl.Int64,
    "stage": pl.String,
    "model": pl.String,
    "schedule": pl.String,
    "versions": pl.Int64,
}


@dataclass
class NotebookDesk:
    """One runtime, one acting user, the research engine (replays from the demo data)."""

    rt: Runtime
    actor: Actor
    engine: DeskResearchEngine
    home: Path
    seed: demo.DemoSeed | None = None
    owns_home: bool = False  # a throwaway demo home, removed on close

    # -- lifecycle ---------------------------------------------------------------------------
    @contextmanager
    def serve(self, username: str = "owner") -> Iterator[Desk]:
        """The promotion service on 127.0.0.1 in this kernel, and ``desk.connect()`` to it as
        ``username`` (the demo users' tokens are known; bring your own token otherwise)."""
        from desk.adapters.local_server import serve_in_thread
        from desk.api.app import create_app
        from desk.client import connect

        if self.seed is None or username not in self.seed.tokens:
            raise ValidationError(
                "serve() signs in with the demo tokens; use desk.connect(url, token) instead",
                fields={"username": "no known token"},
            )
        app = create_app(self.rt.settings, runtime=self.rt, background=False)
        with serve_in_thread(app, name="notebook-service") as url:
            client = connect(url, self.seed.tokens[username])
            try:
                yield client
            finally:
                client.close()

    def close(self) -> None:
        self.rt.close()
        if self.owns_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> NotebookDesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def as_user(self, username: str) -> NotebookDesk:
        """The same desk acting as another user (e.g. an approver), sharing the runtime."""
        actor = Actor.of(users.get_user(self.rt, username), Channel.API)
        return NotebookDesk(self.rt, actor, self.engine, self.home, self.seed)

    # -- agents --------------------------------------------------------------------------------
    def agents(self) -> pl.DataFrame:
        rows = []
        for agent in agents.list_agents(self.rt, self.actor):
            detail = agents.get_agent(self.rt, self.actor, agent.id)
            active = detail.active
            rows.append(
                {
                    "id": agent.id, "name": agent.name, "status": agent.status.value,
                    "active_version": active.version if active else None,
                    "stage": active.stage.value if active else None,
                    "model": active.config.model if active else None,
                    "schedule": active.config.schedule if active else None,
                    "versions": len(detail.versions),
                }
            )  # fmt: skip
        return pl.DataFrame(rows, schema=AGENT_SCHEMA)

    def agent_id(self, name: str) -> str:
        for agent in agents.list_agents(self.rt, self.actor):
            if agent.name == name:
                return agent.id
        raise NotFoundError(f"no agent named {name!r}", fields={"name": "unknown agent"})

    def check_config(self, config: Mapping[str, Any], approvers: int = 2) -> pl.DataFrame:
        """Every problem of ``config`` as a table (empty when it is valid)."""
        try:
            parse_agent_config(
                config, assigned_approvers=approvers, allowed_tools=RESEARCH_TOOLS,
                cron_validator=validate_cron,
            )  # fmt: skip
        except ValidationError as exc:
            return problems_frame(exc)
        return problems_frame(ValidationError("valid")).clear()

    def add_version(self, agent_id: str, config: Mapping[str, Any]) -> ConfigVersion:
        return agents.add_config_version(self.rt, self.actor, agent_id, config)

    def diff(self, agent_id: str, version: int) -> pl.DataFrame:
        """Fields ``version`` changes against the version runs use today (live, else paper)."""
        detail = agents.get_agent(self.rt, self.actor, agent_id)
        target = next((v for v in detail.versions if v.version == version), None)
        if target is None:
            raise NotFoundError(f"agent has no version {version}", fields={"version": "unknown"})
        current = detail.active
        return diff_frame(diff_configs(current.config if current else None, target.config))

    def request_promotion(self, agent_id: str, version: int) -> ApprovalRequest:
        return agents.request_promotion(self.rt, self.actor, agent_id, version)

    # -- runs ------------------------------------------------------------------------------------
    def run(
        self,
        agent_id: str,
        *,
        query: str | None = None,
        replay: str | None = None,
        config_version: int | None = None,
    ) -> AnalysisRun:
        """Start a run and execute it here, blocking until it is final."""
        started = runs.start_run(
            self.rt, self.engine, self.actor, agent_id,
            query=query, replay=replay, config_version=config_version,
        )  # fmt: skip
        return self.execute(started.id)

    def execute(self, run_id: str) -> AnalysisRun:
        return runs.execute_run_blocking(self.rt, self.engine, run_id)

    def get_run(self, agent_id: str, run_id: str) -> AnalysisRun:
        return runs.get_run(self.rt, self.actor, agent_id, run_id)

    def link_artifact(self, run_id: str, path: str | Path) -> AnalysisRun:
        return run_artifacts.set_artifact(self.rt, run_id, str(path))

    def runs_frame(self, agent_id: str | None = None, **filters: Any) -> pl.DataFrame:
        """Runs of one agent (or every visible agent) with the API's filters, all pages."""
        names = {a.id: a.name for a in agents.list_agents(self.rt, self.actor)}
        ids = [agent_id] if agent_id else list(names)
        found: list[AnalysisRun] = []
        for one in ids:
            page = 1
            while True:
                result = runs.list_runs(
                    self.rt, self.actor, one, page=page, page_size=PAGE, **filters
                )
                found.extend(result.items)
                if page * PAGE >= result.count:
                    break
                page += 1
        return frames.runs_frame(found, names).sort("created_at", descending=True)

    def events_frame(self, agent_id: str, run_id: str) -> pl.DataFrame:
        events = []
        after = 0
        while batch := runs.list_events(
            self.rt, self.actor, agent_id, run_id, after=after, limit=500
        ):
            events.extend(batch)
            after = batch[-1].seq
        return frames.events_frame(events)

    # -- approvals and audit -----------------------------------------------------------------
    def requests_frame(self, *, state: str | None = None, kind: str | None = None) -> pl.DataFrame:
        page = approvals.list_requests(self.rt, self.actor, state=state, kind=kind, page_size=PAGE)
        return _requests(page.items)

    def queue_frame(self) -> pl.DataFrame:
        """What the acting user may decide now."""
        return _requests(approvals.queue(self.rt, self.actor))

    def audit_frame(self, limit: int = 500) -> pl.DataFrame:
        return frames.audit_frame(audit.list_events(self.rt, self.actor, limit=limit).events)

    def verify(self) -> str:
        return audit.verify(self.rt).describe()

    def orders_available(self) -> bool:
        """Whether the paper books hold any order yet."""
        with self.rt.uow(write=False) as uow:
            return bool(uow.ledger.orders())

    def orders_frame(self) -> pl.DataFrame:
        """The paper order book: one row per order, its latest state."""
        with self.rt.uow(write=False) as uow:
            orders = uow.ledger.orders()
        rows = [
            {
                "order_id": o.order_id, "tag": o.tag,
                "instrument": f"{o.exchange}:{o.tradingsymbol}",
                "side": o.transaction_type.value, "quantity": o.quantity, "status": o.status.value,
                "average_price": float(o.average_price) if o.average_price else None,
            }
            for o in orders
        ]  # fmt: skip
        return pl.DataFrame(
            rows,
            schema={
                "order_id": pl.String, "tag": pl.String, "instrument": pl.String,
                "side": pl.String, "quantity": pl.Int64, "status": pl.String,
                "average_price": pl.Float64,
            },
        )  # fmt: skip

    def positions_frame(self) -> pl.DataFrame:
        """Paper positions with realized P&L in rupees (floats only for display)."""
        with self.rt.uow(write=False) as uow:
            positions = uow.ledger.positions()
        rows = [
            {
                "instrument": f"{p.exchange}:{p.tradingsymbol}", "product": p.product,
                "quantity": p.quantity, "average_price": float(p.average_price),
                "realized_rupees": p.realized_paise / 100,
            }
            for p in positions
        ]  # fmt: skip
        return pl.DataFrame(
            rows,
            schema={
                "instrument": pl.String, "product": pl.String, "quantity": pl.Int64,
                "average_price": pl.Float64, "realized_rupees": pl.Float64,
            },
        )  # fmt: skip

    def cash_rupees(self) -> float:
        with self.rt.uow(write=False) as uow:
            return uow.ledger.cash_paise() / 100


def _requests(items: Sequence[approvals.RequestDetail]) -> pl.DataFrame:
    rows = [
        {
            "id": d.request.id, "kind": d.request.kind.value, "agent": d.agent_name,
            "subject": d.request.subject_id, "state": d.request.state.value,
            "progress": d.progress, "created_at": d.request.created_at.isoformat(),
            "expires_at": d.request.expires_at.isoformat(),
        }
        for d in items
    ]  # fmt: skip
    columns = ["id", "kind", "agent", "subject", "state", "progress", "created_at", "expires_at"]
    return frames.rows_frame(rows, columns)


def engine_for(rt: Runtime, transcript_dirs: Sequence[Path] = (TRANSCRIPTS,)) -> DeskResearchEngine:
    """The real research engine wired to the vault (live runs) and the demo transcripts."""
    return DeskResearchEngine(
        rt.settings,
        rt.clock,
        llm_key_for=lambda user_id: vault.reveal_llm_key(rt, user_id),
        transcript_dirs=list(transcript_dirs),
    )


def open_desk(
    home: str | Path | None = None,
    *,
    user: str | None = "owner",
    seed: bool = True,
    settings: DeskSettings | None = None,
) -> NotebookDesk:
    """Open a desk in this process.

    ``home=None`` (the default) builds a throwaway demo desk in a new temporary folder, so a
    notebook never touches ``.desk/``. A ``home`` reads the usual settings (``DESK_*``, ``.env``)
    with that home. An empty store is seeded with the demo when ``seed`` is true. Acts as
    ``user`` (the demo owner by default; None acts as the system, e.g. in scheduled runs).
    """
    throwaway = settings is None and home is None
    if settings is None:
        if home is None:
            folder = Path(tempfile.mkdtemp(prefix="desk-notebook-"))
            atexit.register(shutil.rmtree, folder, True)  # also when a cell fails before close
            settings = DeskSettings(_env_file=None, home=folder)
        else:
            settings = load_settings(home=Path(home))
    # A throwaway demo desk trades during market hours whatever the hour (see desk demo).
    rt = bootstrap(settings, upgrade="if_empty", clock=market_hours_clock() if throwaway else None)
    try:
        engine = engine_for(rt)
        seeded = None
        if seed and not _has_users(rt):
            seeded = _seed_with_trades(rt)
        actor = (
            Actor.of(users.get_user(rt, user), Channel.API)
            if user is not None
            else Actor.system(channel=Channel.SYSTEM, label="notebook")
        )
    except BaseException:
        rt.close()
        raise
    return NotebookDesk(rt, actor, engine, settings.home, seeded, owns_home=throwaway)


def _seed_with_trades(rt: Runtime) -> demo.DemoSeed:
    """The demo, then its trade requests approved by the two approvers and executed on the
    paper broker, so orders, fills and P&L exist to look at."""
    from desk.server import DeskServer

    server = DeskServer(rt)
    try:
        seeded = demo.seed_demo(
            rt, server.engine, instruments_csv=INSTRUMENTS_CSV.read_text(), proposals=server.sink
        )
        for detail in approvals.queue(rt, seeded.approvers[0]):
            for approver in seeded.approvers:
                approvals.decide(rt, approver, detail.request.id, "approve", "demo")
        server.dispatcher.drain()
    finally:
        server.stop()
    return seeded


def _has_users(rt: Runtime) -> bool:
    with rt.uow(write=False) as uow:
        return bool(uow.users.list(include_inactive=True))
