"""``desk demo``: the whole desk on a throwaway embedded store, no keys, no servers.

research (replayed) → proposals → risk → two approvals → paper execution → audit verify.
"""

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
    replay: str = typer.Option("infosys_research", help="Which recorded research run to replay."),
) -> None:
    """Run the end-to-end demo on a temporary embedded desk (DuckDB, paper broker)."""
    from desk.cli.runtime import settings

    loaded = settings()  # a clear error for invalid settings
    if loaded.log_level == "INFO":  # the demo tells its own story; keep INFO logs out of it
        from desk.log import configure_logging

        configure_logging("WARNING", loaded.log_format)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        _run(keep, replay)
        return
    with tempfile.TemporaryDirectory(prefix="desk-demo-") as tmp:
        _run(Path(tmp), replay)


def _run(home: Path, replay: str) -> None:
    from rich.console import Console

    from desk.adapters.crypto import generate_key
    from desk.adapters.system import market_hours_clock
    from desk.bootstrap import bootstrap
    from desk.cli.demo_story import tell
    from desk.settings import DeskSettings

    console = Console(highlight=False)
    demo_settings = DeskSettings(
        _env_file=None,
        home=home,
        database_url=f"duckdb:///{home / 'desk.duckdb'}",
        secret_keys=generate_key(),
        telegram_bot_token=None,  # the demo never talks to Telegram, whatever the env says
    )
    clock = market_hours_clock()
    with bootstrap(demo_settings, upgrade=True, clock=clock) as rt:
        ok = tell(rt, console, replay)
    if not ok:
        raise typer.Exit(10)
