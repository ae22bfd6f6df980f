"""``desk keys``: encryption keys of the vault."""

from __future__ import annotations

import typer

app = typer.Typer(help="Encryption keys for secrets at rest.", no_args_is_help=True)


@app.command("generate")
def generate() -> None:
    """Print a new key (to put first in DESK_SECRET_KEYS)."""
    from desk.adapters.crypto import generate_key

    typer.echo(generate_key())


@app.command("status")
def status() -> None:
    """Which keys are configured and how many secrets each one holds."""
    from desk.cli.output import print_table
    from desk.cli.runtime import open_desk
    from desk.services import keys

    with open_desk() as rt:
        usage = keys.key_usage(rt)
        newest = rt.cipher.current_key_id
    print_table(
        "encryption keys (newest first)",
        ["key id", "configured", "secrets", "note"],
        [
            [
                u.key_id,
                "yes" if u.configured else "NO",
                u.secrets,
                "newest" if u.key_id == newest else ("run `desk keys rotate`" if u.secrets else ""),
            ]
            for u in usage
        ],
    )


@app.command("add")
def add() -> None:
    """Generate a new key and make it the newest in the key file (not with DESK_SECRET_KEYS)."""
    from desk.adapters.crypto import generate_key, key_fingerprint, prepend_key_to_file
    from desk.cli.runtime import settings
    from desk.domain.errors import ConfigurationError

    loaded = settings()
    if loaded.secret_keys is not None:
        raise ConfigurationError(
            "keys come from DESK_SECRET_KEYS: add a key there (newest first), "
            "then run `desk keys rotate`"
        )
    key = generate_key()
    prepend_key_to_file(loaded.secret_key_file, key)
    typer.echo(
        f"added key {key_fingerprint(key)} to {loaded.secret_key_file}; now run `desk keys rotate`"
    )


@app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret under the newest key."""
    from desk.cli.runtime import CLI_ACTOR, open_desk
    from desk.services import keys

    with open_desk() as rt:
        count = keys.rotate_keys(rt, CLI_ACTOR)
        newest = rt.cipher.current_key_id
    typer.echo(f"re-encrypted {count} credential(s) under key {newest}")
