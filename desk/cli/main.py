"""Entry point: builds the Typer app and maps every DeskError to one line and an exit code."""

from __future__ import annotations

import sys

import typer

from desk.cli import (
    audit_cmd,
    client_cmd,
    dashboard_cmd,
    db_cmd,
    demo_cmd,
    fakes_cmd,
    flows_cmd,
    keys_cmd,
    kite_cmd,
    lab_cmd,
    serve_cmd,
    telegram_cmd,
    users_cmd,
    vault_cmd,
)
from desk.domain.errors import DeskError

app = typer.Typer(
    name="desk",
    help="Desk: an agentic research desk for Zerodha with a multi-approver promotion service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(db_cmd.app, name="db")
app.add_typer(users_cmd.users_app, name="users")
app.add_typer(users_cmd.tokens_app, name="tokens")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(vault_cmd.app, name="credentials")
app.add_typer(telegram_cmd.app, name="telegram")
app.add_typer(flows_cmd.schedules_app, name="schedules")
app.add_typer(flows_cmd.flows_app, name="flows")
demo_cmd.register(app)
kite_cmd.register(app)
fakes_cmd.register(app)
lab_cmd.register(app)
dashboard_cmd.register(app)
serve_cmd.register(app)
client_cmd.register(app)


@app.command("version")
def version() -> None:
    """Print the installed desk version."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("desk"))


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="desk", standalone_mode=True)
    except DeskError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        for field, why in exc.fields.items():
            sys.stderr.write(f"  {field}: {why}\n")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:  # the edge of the program: no tracebacks for users
        import logging

        logging.getLogger("desk.cli").debug("unexpected error", exc_info=True)
        sys.stderr.write(
            f"error: unexpected {type(exc).__name__}; rerun with DESK_LOG_LEVEL=DEBUG for details\n"
        )
        raise SystemExit(70) from None
