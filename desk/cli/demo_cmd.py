"""``desk demo``: the whole desk on a throwaway embedded store, no keys, no servers."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    keep: Path | None = typer.Option(
        None, help="Build the demo desk in this folder and keep it (default: a temp folder)."
    ),
) -> None:
    """Run the end-to-end demo on a temporary embedded desk (DuckDB, paper broker)."""
    from desk.cli.runtime import settings

    loaded = settings()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        _run(keep)
        return
    with tempfile.TemporaryDirectory(prefix="desk-demo-") as tmp:
        _run(Path(tmp))
    del loaded


def _run(home: Path) -> None:
    from rich.console import Console

    from desk.adapters.crypto import generate_key
    from desk.bootstrap import bootstrap
    from desk.cli.output import print_table
    from desk.cli.runtime import CLI_ACTOR
    from desk.domain.users import Actor, Channel
    from desk.services import audit, users, vault
    from desk.settings import DeskSettings

    console = Console()
    demo_settings = DeskSettings(
        _env_file=None,
        home=home,
        database_url=f"duckdb:///{home / 'desk.duckdb'}",
        secret_keys=generate_key(),
    )
    with bootstrap(demo_settings, upgrade=True) as rt:
        console.rule("[bold]Desk demo[/bold] — embedded DuckDB store at " + str(home))
        owner = users.create_user(rt, CLI_ACTOR, "owner", role="admin", display_name="Desk Owner")
        approvers = [
            users.create_user(rt, CLI_ACTOR, name, display_name=name.title())
            for name in ("asha", "vikram")
        ]
        token = users.create_token(rt, CLI_ACTOR, owner.id, name="demo")
        console.print(
            f"created the owner and two approvers; owner token {token.token.display_prefix}…"
        )
        who = Actor.of(owner, Channel.CLI)
        vault.add_llm_credential(rt, who, api_key="sk-or-demo-" + "0" * 24, label="demo")
        console.print("stored an (unused) OpenRouter key encrypted at rest; it shows as masked:")
        print_table(
            "llm credentials",
            ["label", "key", "active"],
            [[c.label, c.api_key, c.is_active] for c in vault.list_llm_credentials(rt, who)],
        )
        result = audit.verify(rt)
        print_table(
            "audit trail",
            ["seq", "action", "actor"],
            [
                [e.seq, e.action, e.actor_label]
                for e in reversed(audit.list_events(rt, CLI_ACTOR).events)
            ],
        )
        console.print(result.describe())
        if not result.ok:
            raise typer.Exit(10)
        console.print(
            f"[green]demo finished[/green]: {len(approvers) + 1} users, "
            f"audit chain of {result.count} events verified"
        )
