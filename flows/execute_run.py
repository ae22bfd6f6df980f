"""Execute one analysis run that the API already created (``DESK_RUNNER=prefect``).

The promotion service hands pending runs to a Prefect work pool instead of its in-process
runner, so workers on many machines share the load (they need the Postgres store: DuckDB
admits one process per file). The worker runs the research loop and sends the run's
proposals through risk into approval requests, exactly as the service would.
"""

from __future__ import annotations

from prefect import flow, task

from desk.flows_support.analysis import open_runtime

RUN_TIMEOUT_S = 30 * 60


@task(name="execute-analysis-run", timeout_seconds=RUN_TIMEOUT_S)
def execute(run_id: str, desk_home: str | None) -> str:
    from desk.server import DeskServer
    from desk.services import runs

    with open_runtime(desk_home) as rt:
        server = DeskServer(rt)  # not started: its engine, venue and proposal sink only
        try:
            done = runs.execute_run_blocking(rt, server.engine, run_id, proposals=server.sink)
        finally:
            server.stop()
        return done.status.value


@flow(name="execute-run", timeout_seconds=RUN_TIMEOUT_S + 60)
def execute_run_flow(run_id: str, desk_home: str | None = None) -> str:
    """The run's final status (completed, failed or canceled)."""
    return execute(run_id, desk_home)
