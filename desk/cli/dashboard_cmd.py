"""``desk dashboard``: the Panel approval dashboard (``dashboards/app.py``) via ``panel serve``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
APP = DASHBOARDS / "app.py"
WARMUP = DASHBOARDS / "warmup.py"  # renders once at start-up so the first session is quick


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)


def dashboard_command(
    *, host: str, port: int, origins: list[str], app_path: Path = APP, show: bool = False
) -> list[str]:
    """The ``panel serve`` command line (the venv's own interpreter)."""
    args = [
        sys.executable,
        "-m",
        "panel",
        "serve",
        str(app_path),
        "--address",
        host,
        "--port",
        str(port),
    ]
    if WARMUP.exists():
        args += ["--setup", str(WARMUP)]
    for origin in origins or [f"{host}:{port}"]:
        args.append(f"--allow-websocket-origin={origin}")
    if show:
        args.append("--show")
    return args


def spawn_dashboard(
    service_url: str, *, host: str = "127.0.0.1", port: int = 5006, origins: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start the dashboard next to a running service (for ``desk up``); the caller stops it."""
    env = {**os.environ, "DESK_URL": service_url}
    args = dashboard_command(host=host, port=port, origins=origins or [])
    return subprocess.Popen(args, env=env)  # noqa: S603 (our own interpreter and script)


def dashboard(
    host: str = typer.Option("127.0.0.1", help="Bind address (keep 127.0.0.1 unless proxied)."),
    port: int = typer.Option(5006, help="Port of the dashboard."),
    origin: list[str] = typer.Option(
        [], help="Allowed websocket origin host:port (repeatable; default host:port)."
    ),
    url: str | None = typer.Option(None, help="The promotion service (default DESK_URL)."),
    show: bool = typer.Option(False, help="Open a browser tab."),
) -> None:
    """Serve the approval dashboard; people sign in with their own API token."""
    from desk.cli.runtime import settings

    service = url or settings().url
    args = dashboard_command(host=host, port=port, origins=origin, show=show)
    typer.echo(f"dashboard on http://{host}:{port}/app (service {service})")
    os.environ["DESK_URL"] = service
    os.execv(sys.executable, args)  # noqa: S606 (replaces this process with panel serve)
