"""``desk db``: schema migrations."""

from __future__ import annotations

import typer

app = typer.Typer(help="The store: migrations and status.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations to the configured database."""
    from desk.cli.runtime import open_desk

    with open_desk(upgrade=True) as rt:
        from desk.adapters.store import migrate

        typer.echo(f"store {rt.db.describe()} is at migration {migrate.current_revision(rt.db)}")


@app.command("status")
def status() -> None:
    """Show the database, its migration and whether it is current."""
    from desk.adapters.store import migrate
    from desk.cli.runtime import open_desk

    with open_desk(require_schema=False) as rt:
        current = migrate.current_revision(rt.db)
        head = migrate.head_revision()
        state = "current" if current == head else "behind: run `desk db upgrade`"
        typer.echo(f"database: {rt.db.describe()}")
        typer.echo(f"migration: {current or 'none'} (latest {head}, {state})")
