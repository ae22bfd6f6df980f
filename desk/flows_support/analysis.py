"""What the papermill analysis flow does, as plain functions (the flow only sequences them).

The flow process and the notebook kernel are two processes: with DuckDB each opens the store
only while it needs it (the flow: to create the run and, afterwards, to link the artifact or
fail the run), and ``desk serve`` must not hold the same file meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desk.bootstrap import Runtime, bootstrap
from desk.domain.errors import ValidationError
from desk.domain.runs import AnalysisRun
from desk.domain.users import Actor, Channel
from desk.notebook.session import engine_for
from desk.services import agents, run_artifacts, runs, users
from desk.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
ANALYSIS_NOTEBOOK = REPO / "notebooks" / "20_analysis.ipynb"
RUN_MODES = ("replay", "live")
FLOW_ACTOR = Actor.system(channel=Channel.SYSTEM, label="prefect")


@dataclass(frozen=True, slots=True)
class NotebookFailure:
    """A cell raised: which one and what, for the run's error."""

    cell: int | None
    ename: str
    evalue: str

    def describe(self) -> str:
        where = f"cell {self.cell}" if self.cell is not None else "a cell"
        return f"notebook failed in {where}: {self.ename}: {self.evalue}".strip()


@contextmanager
def open_runtime(desk_home: str | None) -> Iterator[Runtime]:
    """The desk of the settings (``DESK_*``), with ``desk_home`` overriding the home."""
    overrides: dict[str, object] = {"home": Path(desk_home)} if desk_home else {}
    with bootstrap(load_settings(**overrides), upgrade="if_empty") as rt:
        yield rt


def resolve_home(desk_home: str | None) -> str:
    """The absolute home the notebook must open (None there would mean a demo desk)."""
    home = Path(desk_home) if desk_home else load_settings().home
    return str(home.resolve())


def artifacts_root(desk_home: str | None, artifacts_dir: str | None) -> Path:
    """``artifacts_dir`` or ``<DESK_HOME>/artifacts``."""
    if artifacts_dir:
        return Path(artifacts_dir)
    home = Path(desk_home) if desk_home else load_settings().home
    return home / "artifacts"


def output_notebook(root: Path, run_id: str) -> Path:
    return root / "runs" / run_id / "20_analysis.ipynb"


def check_mode(run_mode: str, query: str | None, replay: str | None) -> None:
    if run_mode not in RUN_MODES:
        raise ValidationError(
            f"run_mode must be one of {', '.join(RUN_MODES)}", fields={"run_mode": "unknown"}
        )
    if run_mode == "replay" and not replay:
        raise ValidationError("replay mode needs a transcript name", fields={"replay": "required"})
    if run_mode == "live" and not (query or "").strip():
        raise ValidationError("live mode needs a query", fields={"query": "required"})


def start_analysis(
    rt: Runtime, agent_id: str, *, run_mode: str, query: str | None, replay: str | None
) -> AnalysisRun:
    """A pending run started on behalf of the agent's owner, through the system channel."""
    check_mode(run_mode, query, replay)
    owner = users.get_user(rt, agents.get_agent(rt, FLOW_ACTOR, agent_id).agent.owner_id)
    actor = Actor(user_id=owner.id, role=owner.role, channel=Channel.SYSTEM, label=owner.username)
    return runs.start_run(
        rt, engine_for(rt), actor, agent_id,
        query=query, replay=replay if run_mode == "replay" else None,
    )  # fmt: skip


def notebook_parameters(
    *,
    agent_id: str,
    run_id: str,
    query: str | None,
    run_mode: str,
    replay: str | None,
    desk_home: str | None,
    output: Path,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Exactly what the flow passes to ``20_analysis`` (checked against its parameters cell)."""
    return {
        "agent_id": agent_id,
        "query": query,
        "run_mode": run_mode,
        "replay": replay,
        "run_id": run_id,
        "desk_home": desk_home,
        "user": None,
        "artifact_path": str(output),
        "report_path": str(output.with_name("report.md")),
        **dict(extra or {}),
    }


def execute_notebook(
    notebook: Path, output: Path, parameters: dict[str, Any], *, timeout_s: int
) -> NotebookFailure | None:
    """Run the notebook with papermill; None when every cell ran, else the failing cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name="python3",
            progress_bar=False, cwd=str(notebook.parent), execution_timeout=timeout_s,
        )  # fmt: skip
    except PapermillExecutionError as exc:
        return NotebookFailure(exc.exec_count, str(exc.ename), str(exc.evalue)[:1500])
    return None


def finish_analysis(rt: Runtime, run_id: str, output: Path, error: str | None) -> AnalysisRun:
    """Link the executed notebook; a notebook ``error`` fails a run it left unfinished."""
    if error is not None:
        run_artifacts.fail_run(rt, run_id, error)
    return run_artifacts.set_artifact(rt, run_id, str(output))
