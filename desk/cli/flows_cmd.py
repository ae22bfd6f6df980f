"""``desk schedules sync`` and ``desk flows serve``: agents' schedules as Prefect deployments.

Prefect is imported inside the commands only (importing it costs seconds). Both talk to the
Prefect API of ``PREFECT_API_URL`` (without it, Prefect's local ephemeral server under
``PREFECT_HOME``). With the embedded DuckDB store, flows open the store themselves: don't run
them while ``desk serve`` holds the same file (use Postgres to run both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from desk.flows_support.schedules import AgentSchedule

schedules_app = typer.Typer(help="Agent schedules as Prefect deployments.", no_args_is_help=True)
flows_app = typer.Typer(help="Run the Prefect flows of the desk.", no_args_is_help=True)


def _wanted() -> list[AgentSchedule]:
    from desk.cli.runtime import open_desk
    from desk.flows_support.schedules import desired_schedules

    with open_desk() as rt:
        return list(desired_schedules(rt))


@schedules_app.command("sync")
def sync() -> None:
    """Create/update one deployment per scheduled agent (cron in Asia/Kolkata), delete stale
    ones, pause those of paused agents. Safe to repeat."""
    from desk.flows_support.schedules import sync_schedules
    from flows.serve import analysis_schema

    report = sync_schedules(_wanted(), parameter_schema=analysis_schema())
    typer.echo(f"schedules: {report.describe()}")


@flows_app.command("serve")
def serve(
    housekeeping: bool = typer.Option(
        True, help="Also serve the approval-timeout sweep and run-recovery flows."
    ),
    sweep_cron: str = typer.Option("* * * * *", help="Cron (IST) of the approval sweep."),
    limit: int | None = typer.Option(None, help="Most flow runs at once (default: no limit)."),
) -> None:
    """Serve the agents' analysis deployments (and housekeeping) until interrupted."""
    from prefect import serve as prefect_serve

    from flows.serve import agent_deployments, housekeeping_deployments

    deployments = agent_deployments(_wanted())
    if housekeeping:
        deployments += housekeeping_deployments(sweep_cron)
    if not deployments:
        typer.echo("nothing to serve: no agent has a schedule (use --housekeeping)")
        raise typer.Exit(1)
    typer.echo(f"serving {len(deployments)} deployment(s); Ctrl-C to stop")
    prefect_serve(*deployments, limit=limit)
