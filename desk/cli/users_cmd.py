"""``desk users`` and ``desk tokens``: people and their API tokens (local admin access)."""

from __future__ import annotations

import typer

users_app = typer.Typer(help="Users, roles and Telegram linking.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens (shown once at creation).", no_args_is_help=True)


@users_app.command("create")
def create(
    username: str,
    role: str = typer.Option("member", help="admin or member"),
    display_name: str | None = typer.Option(None, help="Name shown in the dashboard."),
    with_token: bool = typer.Option(False, "--with-token", help="Also create an API token."),
) -> None:
    """Create a user."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        user = users.create_user(rt, CLI_ACTOR, username, role=role, display_name=display_name)
        typer.echo(f"created user {user.username} ({user.role.value}) id={user.id}")
        if with_token:
            issued = users.create_token(rt, CLI_ACTOR, user.id, name="default")
            typer.echo(f"token (shown once): {issued.plaintext}")


@users_app.command("list")
def list_() -> None:
    """List users."""
    from desk.cli.output import fmt_time, print_table
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        rows = users.list_users(rt, CLI_ACTOR)
    print_table(
        "users",
        ["username", "role", "active", "telegram", "created", "id"],
        [
            [
                u.username,
                u.role.value,
                "yes" if u.is_active else "no",
                "linked" if u.telegram_chat_id else "-",
                fmt_time(u.created_at),
                u.id,
            ]
            for u in rows
        ],
    )


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable a user: their tokens stop working at once."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        user = users.set_user_active(rt, CLI_ACTOR, username, False)
    typer.echo(f"disabled {user.username}")


@users_app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled user."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        user = users.set_user_active(rt, CLI_ACTOR, username, True)
    typer.echo(f"enabled {user.username}")


@users_app.command("set-role")
def set_role(username: str, role: str) -> None:
    """Change a user's global role (admin or member)."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        user = users.set_user_role(rt, CLI_ACTOR, username, role)
    typer.echo(f"{user.username} is now {user.role.value}")


@users_app.command("link-code")
def link_code(username: str) -> None:
    """Create a one-time code; the user sends `/start <code>` to the Telegram bot."""
    from desk.cli.output import fmt_time
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        code, plaintext = users.create_link_code(rt, CLI_ACTOR, username)
    typer.echo(
        f"send this to the bot: /start {plaintext}   (valid until {fmt_time(code.expires_at)})"
    )


@users_app.command("set-chat")
def set_chat(
    username: str,
    chat_id: int | None = typer.Argument(None, help="Telegram chat id; omit with --unset."),
    unset: bool = typer.Option(False, "--unset", help="Remove the linked chat."),
) -> None:
    """Set or remove a user's Telegram chat id (admin)."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.domain.errors import ValidationError
    from desk.services import users

    if (chat_id is None) == (not unset):
        raise ValidationError(
            "give a chat id or --unset (not both)", fields={"chat_id": "required"}
        )
    with open_desk() as rt:
        user = users.set_chat_id(rt, CLI_ACTOR, username, None if unset else chat_id)
    typer.echo(f"{user.username}: telegram chat {'removed' if unset else 'set'}")


@tokens_app.command("create")
def token_create(
    username: str,
    name: str = typer.Option("default", help="A label to recognise the token by."),
    expires_days: int | None = typer.Option(None, help="Expire after this many days."),
) -> None:
    """Create an API token for a user and print it once."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        issued = users.create_token(rt, CLI_ACTOR, username, name=name, expires_days=expires_days)
    typer.echo(f"token id: {issued.token.id}")
    typer.echo(f"token (shown once, store it now): {issued.plaintext}")


@tokens_app.command("list")
def token_list(username: str | None = typer.Argument(None)) -> None:
    """List tokens (never their values)."""
    from desk.cli.output import fmt_time, print_table
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        rows = users.list_tokens(rt, CLI_ACTOR, username)
        names = {u.id: u.username for u in users.list_users(rt, CLI_ACTOR)}
    print_table(
        "api tokens",
        ["id", "user", "name", "prefix", "created", "last used", "expires", "revoked"],
        [
            [
                t.id,
                names.get(t.user_id, t.user_id),
                t.name,
                t.display_prefix + "…",
                fmt_time(t.created_at),
                fmt_time(t.last_used_at),
                fmt_time(t.expires_at),
                fmt_time(t.revoked_at),
            ]
            for t in rows
        ],
    )


@tokens_app.command("revoke")
def token_revoke(token_id: str) -> None:
    """Revoke a token by id."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import users

    with open_desk() as rt:
        token = users.revoke_token(rt, CLI_ACTOR, token_id)
    typer.echo(f"revoked token {token.id}")
