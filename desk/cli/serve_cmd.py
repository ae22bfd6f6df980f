"""``desk serve`` and ``desk up``: the promotion service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from desk.domain.clock import Clock


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("up")(up)


def serve(
    host: str | None = typer.Option(None, help="Bind address (default DESK_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default DESK_PORT, 8000)."),
) -> None:
    """Run the promotion service (applies migrations on start)."""
    _serve(host, port, None)


def _serve(host: str | None, port: int | None, clock: Clock | None) -> None:
    import uvicorn

    from desk.api.app import create_app
    from desk.api.warm import prepare_routes
    from desk.cli.runtime import settings

    loaded = settings()
    app = create_app(loaded, clock=clock)
    prepare_routes(app)  # the first request after a start is not the slow one
    uvicorn.run(
        app,
        host=host or loaded.host,
        port=port or loaded.port,
        log_config=None,
        proxy_headers=False,
    )


def up(
    host: str | None = typer.Option(None, help="Bind address (default DESK_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default DESK_PORT, 8000)."),
    demo: bool = typer.Option(
        False, "--demo", help="Serve a desk seeded with the demo data (in .desk-demo/)."
    ),
    dashboard_port: int = typer.Option(5006, help="Port of the approval dashboard."),
    no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Only the service."),
) -> None:
    """Start the desk: the promotion service and the approval dashboard."""
    from desk.cli.dashboard_cmd import spawn_dashboard
    from desk.cli.runtime import settings

    clock = None
    if demo:
        from desk.adapters.system import market_hours_clock

        home = Path(".desk-demo")
        clock = market_hours_clock()  # demo trades meet the market-hours check at any hour
        _seed_demo_home(home, clock)
        os.environ["DESK_HOME"] = str(home)
        os.environ["DESK_DATABASE_URL"] = f"duckdb:///{home / 'desk.duckdb'}"
        os.environ.pop("DESK_SECRET_KEYS", None)  # the demo home has its own key file
    loaded = settings()
    bind_host, bind_port = host or loaded.host, port or loaded.port
    dash = None
    if not no_dashboard:
        dash = spawn_dashboard(f"http://{bind_host}:{bind_port}", port=dashboard_port)
        typer.echo(f"dashboard on http://127.0.0.1:{dashboard_port}/app (sign in with a token)")
    try:
        _serve(bind_host, bind_port, clock)
    finally:
        if dash is not None:
            dash.terminate()
            dash.wait(timeout=10)


def _seed_demo_home(home: Path, clock: Clock) -> None:
    """First time only: the demo desk with users, tokens, an agent, a run and a request."""
    from desk.bootstrap import bootstrap
    from desk.cli.runtime import settings
    from desk.demo_data import INSTRUMENTS_CSV
    from desk.server import DeskServer
    from desk.services.demo import seed_demo

    tokens_file = home / "tokens.txt"
    if tokens_file.exists():
        typer.echo(f"demo desk in {home}/ (tokens in {tokens_file})")
        typer.echo(tokens_file.read_text(encoding="utf-8"))
        return
    loaded = settings().model_copy(
        update={
            "home": home,
            "database_url": f"duckdb:///{home / 'desk.duckdb'}",
            "secret_keys": None,
        }
    )
    with bootstrap(loaded, upgrade=True, clock=clock) as rt:
        server = DeskServer(rt)
        try:
            seed = seed_demo(
                rt,
                server.engine,
                instruments_csv=INSTRUMENTS_CSV.read_text(),
                proposals=server.sink,
            )
        finally:
            server.stop()
    lines = [f"{user}: {token}" for user, token in seed.tokens.items()]
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    typer.echo(f"seeded the demo desk in {home}/; API tokens (also in {tokens_file}):")
    typer.echo("\n".join(lines))
