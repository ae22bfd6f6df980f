"""``desk audit``: verify and export the tamper-evident audit chain."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(
    expect_head: str | None = typer.Option(
        None, help="A head hash recorded earlier; detects a rewritten or truncated chain."
    ),
) -> None:
    """Walk the chain; exit 0 when intact, 10 at the first broken event."""
    from desk.cli.runtime import open_desk
    from desk.domain.errors import AuditChainError
    from desk.services import audit

    with open_desk() as rt:
        result = audit.verify(rt, expected_head=expect_head)
    if not result.ok:
        raise AuditChainError(result.describe())
    typer.echo(result.describe())
    typer.echo(f"head: {result.head_hash}")


@app.command("export")
def export(
    path: Path,
    format: str = typer.Option("parquet", "--format", "-f", help="parquet or jsonl"),
) -> None:
    """Write every event to a file for polars/DuckDB analysis."""
    from desk.cli.runtime import open_desk
    from desk.services import audit

    with open_desk() as rt:
        count = audit.export(rt, path, fmt=format)
    typer.echo(f"exported {count} events to {path}")


@app.command("tail")
def tail(
    limit: int = typer.Option(20, help="How many events (newest first)."),
    action: str | None = typer.Option(None, help="Only this action, e.g. user.created"),
) -> None:
    """Show the latest audit events."""
    from desk.cli.output import fmt_time, print_table
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.domain.audit import canonical_json
    from desk.services import audit

    with open_desk() as rt:
        page = audit.list_events(rt, CLI_ACTOR, limit=limit, action=action)
    print_table(
        "audit events (newest first)",
        ["seq", "time", "actor", "channel", "action", "subject", "payload"],
        [
            [
                e.seq,
                fmt_time(e.occurred_at),
                e.actor_label,
                e.channel,
                e.action,
                f"{e.subject_type}:{(e.subject_id or '-')[:12]}",
                canonical_json(e.payload)[:80],
            ]
            for e in page.events
        ],
    )
