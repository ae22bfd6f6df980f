"""``desk agents|runs|approvals``: the same operations as the API, through the HTTP client.

They talk to a running service (``desk serve``) at ``DESK_URL`` with ``DESK_TOKEN``; an API
error is one line on stderr and an exit code (2 invalid input, 3 not found, 5 not signed in,
6 not allowed, 7 conflict, 69 service unreachable, 70 service error).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from desk.client import Desk

agents_app = typer.Typer(help="Agents (through the running service).", no_args_is_help=True)
runs_app = typer.Typer(help="Analysis runs (through the running service).", no_args_is_help=True)
approvals_app = typer.Typer(help="Approval requests (through the service).", no_args_is_help=True)

EXIT_CODES = {401: 5, 403: 6, 404: 3, 409: 7, 422: 2, 0: 69}


def register(root: typer.Typer) -> None:
    root.add_typer(agents_app, name="agents")
    root.add_typer(runs_app, name="runs")
    root.add_typer(approvals_app, name="approvals")


@contextmanager
def client() -> Iterator[Desk]:
    """A client from DESK_URL/DESK_TOKEN; API errors become one line and an exit code."""
    from desk.client import DeskApiError, connect

    try:
        with connect(channel="cli") as desk:
            yield desk
    except DeskApiError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        for field, why in exc.fields.items():
            sys.stderr.write(f"  {field}: {why}\n")
        code = EXIT_CODES.get(exc.status, 70 if exc.status >= 500 else 1)
        raise typer.Exit(code) from None


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


# --- agents -------------------------------------------------------------------------------


@agents_app.command("list")
def agents_list(page: int = 1, page_size: int = 20) -> None:
    """Agents you own or approve (admins: all)."""
    from desk.cli.output import fmt_time, print_table

    with client() as desk:
        found = desk.agents(page=page, page_size=page_size)
    rows = [[a.name, a.status, "on" if a.kill_switch else "-", fmt_time(a.created_at), a.id]
            for a in found]  # fmt: skip
    print_table(f"agents ({found.count})", ["name", "status", "kill", "created", "id"], rows)


@agents_app.command("show")
def agents_show(agent_id: str) -> None:
    """One agent with its config versions (JSON)."""
    with client() as desk:
        _echo_json(desk.agent(agent_id).model_dump(mode="json"))


@agents_app.command("create")
def agents_create(
    file: Path = typer.Option(
        ...,
        "--file",
        "-f",
        exists=True,
        dir_okay=False,
        help="JSON: a config, or {name, config, approvers, …}.",
    ),
    name: str | None = typer.Option(None, help="Agent name (when the file is only a config)."),
    approver: list[str] = typer.Option([], "--approver", "-a", help="Repeat for each approver."),
) -> None:
    """Create an agent; its first config version is a draft."""
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"error: {file} is not readable JSON ({exc})\n")
        raise typer.Exit(2) from None
    body = data if isinstance(data, dict) and "config" in data else {"config": data}
    agent_name = name or body.get("name")
    if not agent_name:
        sys.stderr.write('error: give --name or a "name" in the file\n')
        raise typer.Exit(2)
    with client() as desk:
        created = desk.create_agent(
            agent_name, body["config"], approvers=approver or body.get("approvers") or [],
            escalation_approvers=body.get("escalation_approvers") or [],
        )  # fmt: skip
    typer.echo(f"created agent {created.name} id={created.id} (v1 draft)")
    for warning in created.warnings:
        typer.echo(f"warning: {warning}")


@agents_app.command("analyze")
def agents_analyze(
    agent_id: str,
    query: str | None = typer.Argument(None, help="What to research."),
    replay: str | None = typer.Option(None, help="A recorded transcript to replay offline."),
    model: str | None = typer.Option(None, help="Override the config's model."),
    wait: bool = typer.Option(False, "--wait", help="Wait for the finished run."),
) -> None:
    """Start a research run (returns at once unless --wait)."""
    with client() as desk:
        run = desk.analyze(agent_id, query, replay=replay, model=model, async_mode=not wait)
    typer.echo(f"run {run.id} {run.status}")
    if run.result_text:
        typer.echo(run.result_text.strip())
    elif not wait:
        typer.echo(f"follow it: desk runs events {agent_id} {run.id} --follow")


# --- runs ---------------------------------------------------------------------------------


@runs_app.command("list")
def runs_list(
    agent_id: str,
    *,
    status: str | None = typer.Option(None, help="completed|failed|running|pending|canceled"),
    q: str | None = typer.Option(None, help="Text in the query, model or result."),
    date_from: str | None = typer.Option(None, "--from", help="YYYY-MM-DD (IST)"),
    date_to: str | None = typer.Option(None, "--to", help="YYYY-MM-DD (IST)"),
    order_by: str = typer.Option("-created_at", help="±created_at|started_at|completed_at"),
    page: int = 1,
    page_size: int = 20,
) -> None:
    """An agent's run history."""
    from desk.cli.output import fmt_time, print_table

    with client() as desk:
        found = desk.runs(
            agent_id, status=status, q=q, date_from=date_from, date_to=date_to,
            order_by=order_by, page=page, page_size=page_size,
        )  # fmt: skip
    rows = [[r.status, r.mode, fmt_time(r.created_at), r.steps, r.cost_usd, r.query[:50], r.id]
            for r in found]  # fmt: skip
    print_table(
        f"runs ({found.count}{'' if found.count_exact else '+'}, page {found.page})",
        ["status", "mode", "created", "steps", "cost $", "query", "id"], rows,
    )  # fmt: skip


@runs_app.command("show")
def runs_show(agent_id: str, run_id: str) -> None:
    """One run in full (JSON)."""
    with client() as desk:
        _echo_json(desk.run(agent_id, run_id).model_dump(mode="json"))


@runs_app.command("events")
def runs_events(
    agent_id: str,
    run_id: str,
    follow: bool = typer.Option(False, "--follow", help="Stream until the run ends."),
    after: int = typer.Option(0, help="Only events after this seq."),
) -> None:
    """A run's events, one line each."""
    with client() as desk:
        if follow:
            events = desk.stream_run_events(agent_id, run_id, last_event_id=after or None)
        else:
            events = iter(desk.run_events(agent_id, run_id, after=after, limit=500).results)
        for event in events:
            summary = json.dumps(event.payload, default=str)
            typer.echo(f"{event.seq:>4} {event.kind:<12} {summary[:150]}")


@runs_app.command("cancel")
def runs_cancel(agent_id: str, run_id: str) -> None:
    """Cancel a pending or running run."""
    with client() as desk:
        status = desk.cancel_run(agent_id, run_id)
    typer.echo(
        f"run {status.id} {status.status}" + (" (stopping)" if not status.is_terminal else "")
    )


# --- approvals ----------------------------------------------------------------------------


@approvals_app.command("pending")
def approvals_pending(limit: int = 50) -> None:
    """What you may decide now, oldest first."""
    from desk.cli.output import fmt_time, print_table

    with client() as desk:
        found = desk.queue(limit=limit)
    rows = [
        [r.id[:12], r.kind, r.agent_name, r.summary.instrument, r.summary.side,
         r.summary.quantity, r.summary.quorum_progress, fmt_time(r.expires_at)]
        for r in found
    ]  # fmt: skip
    columns = ["id", "kind", "agent", "what", "side", "qty", "quorum", "expires"]
    print_table(f"pending for you ({len(found)})", columns, rows)


@approvals_app.command("show")
def approvals_show(request_id: str) -> None:
    """One request with decisions, details, risk and order (JSON)."""
    with client() as desk:
        _echo_json(desk.approval(request_id).model_dump(mode="json"))


@approvals_app.command("decide")
def approvals_decide(
    request_id: str,
    decision: str = typer.Argument(..., help="approve or reject"),
    reason: str | None = typer.Option(None, "--reason", "-r", help="Required to reject."),
) -> None:
    """Approve or reject a request."""
    if decision not in ("approve", "reject"):
        sys.stderr.write("error: decision must be approve or reject\n")
        raise typer.Exit(2)
    with client() as desk:
        result = desk.decide(request_id, decision, reason)  # type: ignore[arg-type]
    request = result.request
    typer.echo(f"{decision}d {request.id}: {result.outcome} ({request.summary.quorum_progress}, "
               f"state {request.state})")  # fmt: skip
