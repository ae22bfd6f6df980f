"""Run the ``20_analysis`` notebook for one agent with papermill; keep it as the run artifact.

Steps: check the parameters against the notebook's ``parameters`` cell (before any run is
created or any cell runs), create the run, execute the notebook into
``<artifacts>/runs/<run_id>/20_analysis.ipynb``, link it to the run. A failing cell fails the
run with the cell's error, and the flow run fails too. Store I/O tasks retry; the notebook
task and the flow do not (a retry would start a second run), they time out instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from desk.flows_support import analysis as support
from desk.notebook.parameters import check_parameters

NOTEBOOK_TIMEOUT_S = 30 * 60


class NotebookFailedError(RuntimeError):
    """The analysis notebook raised in a cell; the run is marked failed with that error."""


@task(name="check-notebook-parameters")
def check_notebook(notebook: str, parameters: dict[str, Any]) -> None:
    support.check_mode(parameters["run_mode"], parameters["query"], parameters["replay"])
    check_parameters(Path(notebook), parameters)


@task(name="start-run", retries=2, retry_delay_seconds=5)
def start_run(
    agent_id: str, query: str | None, run_mode: str, replay: str | None, desk_home: str | None
) -> dict[str, Any]:
    with support.open_runtime(desk_home) as rt:
        run = support.start_analysis(rt, agent_id, run_mode=run_mode, query=query, replay=replay)
        return {"run_id": run.id, "query": run.query, "replay": run.replay}


@task(name="execute-notebook", timeout_seconds=NOTEBOOK_TIMEOUT_S + 60)
def execute_notebook(notebook: str, output: str, parameters: dict[str, Any]) -> str | None:
    failure = support.execute_notebook(
        Path(notebook), Path(output), parameters, timeout_s=NOTEBOOK_TIMEOUT_S
    )
    return failure.describe() if failure else None


@task(name="link-artifact", retries=2, retry_delay_seconds=5)
def link_artifact(run_id: str, output: str, error: str | None, desk_home: str | None) -> str:
    with support.open_runtime(desk_home) as rt:
        return support.finish_analysis(rt, run_id, Path(output), error).status.value


@flow(name="analysis", timeout_seconds=NOTEBOOK_TIMEOUT_S + 300)
def analysis_flow(  # noqa: PLR0917 (papermill parameters, by name from Prefect)
    agent_id: str,
    query: str | None = None,
    run_mode: str = "replay",
    replay: str | None = None,
    desk_home: str | None = None,
    artifacts_dir: str | None = None,
    notebook: str | None = None,
    extra_parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One analysis run of ``agent_id`` through the notebook; returns its id, status, artifact.

    ``artifacts_dir`` defaults to ``<DESK_HOME>/artifacts``; ``extra_parameters`` go to the
    notebook as they are (they must be declared in its parameters cell).
    """
    path = notebook or str(support.ANALYSIS_NOTEBOOK)
    desk_home = support.resolve_home(desk_home)
    root = support.artifacts_root(desk_home, artifacts_dir)
    common: dict[str, Any] = dict(
        agent_id=agent_id, run_mode=run_mode, desk_home=desk_home, extra=extra_parameters
    )
    planned = support.notebook_parameters(
        run_id="(new)", query=query, replay=replay, output=root / "(new)", **common
    )
    check_notebook(path, planned)
    started = start_run(agent_id, query, run_mode, replay, desk_home)
    output = support.output_notebook(root, started["run_id"])
    parameters = support.notebook_parameters(
        run_id=started["run_id"], query=started["query"], replay=started["replay"],
        output=output, **common,
    )  # fmt: skip
    error = execute_notebook(path, str(output), parameters)
    status = link_artifact(started["run_id"], str(output), error, desk_home)
    get_run_logger().info("run %s is %s; notebook at %s", started["run_id"], status, output)
    if error:
        raise NotebookFailedError(error)
    return {"run_id": started["run_id"], "status": status, "artifact": str(output)}
