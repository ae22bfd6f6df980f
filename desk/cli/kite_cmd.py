"""``desk kite``: log a broker credential in to Kite Connect; ``desk fake-kite``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from desk.services.ports.kite_session import KiteLoginFactory

app = typer.Typer(help="Kite Connect: login and session.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="kite")
    root.command("fake-kite")(fake_kite)


def _factory(root: str) -> KiteLoginFactory:
    from desk.adapters.kite.broker import KiteBroker

    def build(api_key: str) -> KiteBroker:
        return KiteBroker(api_key, root=root)

    return build


@app.command("login")
def login(
    credential_id: str,
    user: str = typer.Option(..., "--user", help="The user who owns the credential."),
) -> None:
    """Print the Kite login URL for a broker credential."""
    from desk.cli.runtime import open_desk
    from desk.domain.users import Actor, Channel
    from desk.services import kite_login, users

    with open_desk() as rt:
        actor = Actor.of(users.get_user(rt, user), Channel.CLI)
        url = kite_login.login_url(rt, actor, credential_id, _factory(rt.settings.kite_root))
    typer.echo("open this URL, log in, then run `desk kite session` with the request_token")
    typer.echo("from the redirect (…?request_token=XXXX&action=login&status=success):")
    typer.echo(url)


@app.command("session")
def session(
    credential_id: str,
    request_token: str,
    user: str = typer.Option(..., "--user", help="The user who owns the credential."),
) -> None:
    """Exchange a login request_token for an access token (stored encrypted)."""
    from desk.cli.output import fmt_time
    from desk.cli.runtime import open_desk
    from desk.domain.users import Actor, Channel
    from desk.services import kite_login, users

    with open_desk() as rt:
        actor = Actor.of(users.get_user(rt, user), Channel.CLI)
        view = kite_login.complete_login(
            rt, actor, credential_id, request_token, _factory(rt.settings.kite_root)
        )
    typer.echo(
        f"session stored for {view.broker_user_id}; token {view.token_status}, "
        f"expires {fmt_time(view.access_token_expires_at)}"
    )


def fake_kite(
    host: str = typer.Option("127.0.0.1", help="Bind address."),
    port: int = typer.Option(8765, help="Port (set DESK_KITE_ROOT=http://HOST:PORT)."),
) -> None:
    """Serve the fake Kite Connect API for local development and demos."""
    from desk.adapters.kite.fake_server import serve_fake_kite

    serve_fake_kite(host, port)
