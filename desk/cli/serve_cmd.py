"""``desk serve`` and ``desk up``: the promotion service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("up")(up)


def serve(
    host: str | None = typer.Option(None, help="Bind address (default DESK_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default DESK_PORT, 8000)."),
) -> None:
    """Run the promotion service (applies migrations on start)."""
    import uvicorn

    from desk.api.app import create_app
    from desk.cli.runtime import settings

    loaded = settings()
    uvicorn.run(
        create_app(loaded),
        host=host or loaded.host,
        port=port or loaded.port,
        log_config=None,
        proxy_headers=False,
    )


def up(
    host: str | None = typer.Option(None, help="Bind address (default DESK_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default DESK_PORT, 8000)."),
) -> None:
    """Start the desk: the promotion service (later also the dashboard)."""
    serve(host=host, port=port)
