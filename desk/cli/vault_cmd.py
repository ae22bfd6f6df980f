"""``desk credentials``: the encrypted vault from the command line (secrets never in argv)."""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    help="Broker and LLM credentials (encrypted, shown masked).", no_args_is_help=True
)


def _read_secret(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    value: str = typer.prompt(prompt, hide_input=True)
    return value


@app.command("list")
def list_() -> None:
    """List every credential, masked."""
    from desk.cli.output import fmt_time, print_table
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users, vault

    with open_desk() as rt:
        names = {u.id: u.username for u in users.list_users(rt, CLI_ACTOR)}
        llm = vault.list_llm_credentials(rt, CLI_ACTOR)
        brokers = vault.list_broker_credentials(rt, CLI_ACTOR)
    print_table(
        "llm credentials",
        ["id", "user", "provider", "label", "key", "active"],
        [[c.id, names.get(c.user_id), c.provider, c.label, c.api_key, c.is_active] for c in llm],
    )
    print_table(
        "broker credentials",
        ["id", "user", "broker", "label", "api key", "token", "expires", "active"],
        [
            [
                c.id,
                names.get(c.user_id),
                c.broker,
                c.label,
                c.api_key,
                c.token_status,
                fmt_time(c.access_token_expires_at),
                c.is_active,
            ]
            for c in brokers
        ],
    )


@app.command("add-llm")
def add_llm(
    username: str,
    label: str = typer.Option("default"),
    stdin: bool = typer.Option(False, "--stdin", help="Read the key from standard input."),
) -> None:
    """Store an OpenRouter key for a user (becomes their active key)."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users, vault

    key = _read_secret("OpenRouter API key", stdin)
    with open_desk() as rt:
        user = users.get_user(rt, username)
        view = vault.add_llm_credential(rt, CLI_ACTOR, api_key=key, label=label, user_id=user.id)
    typer.echo(f"stored llm credential {view.id} ({view.api_key}) for {user.username}")


@app.command("add-broker")
def add_broker(
    username: str,
    label: str = typer.Option("kite"),
    stdin: bool = typer.Option(
        False, "--stdin", help="Read api_key and api_secret from two lines of standard input."
    ),
) -> None:
    """Store Kite Connect app credentials for a user."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users, vault

    api_key = _read_secret("Kite api_key", stdin)
    api_secret = _read_secret("Kite api_secret", stdin)
    with open_desk() as rt:
        user = users.get_user(rt, username)
        view = vault.add_broker_credential(
            rt, CLI_ACTOR, api_key=api_key, api_secret=api_secret, label=label, user_id=user.id
        )
    typer.echo(f"stored broker credential {view.id} ({view.api_key}) for {user.username}")
