"""The CLI end to end, in-process: clear one-line errors, exit codes, nothing written on error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desk.cli.main import main


@pytest.fixture
def desk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("DESK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_fresh_desk_works_with_no_settings(
    desk_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "users", "create", "alice", "--role", "admin", "--with-token")
    assert code == 0, err
    assert "generated a new encryption key" in err and "migrated" in err
    assert (desk_env / ".desk" / "secret.key").stat().st_mode & 0o777 == 0o600
    token = out.split("token (shown once): ")[1].strip()
    code, out, _ = run(capsys, "tokens", "list")
    assert code == 0 and token not in out and "alice" in out
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "OK: 2 events" in out


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["users", "create", "Bad Name"], 2, "username must be"),
        (["users", "create", "bob", "--role", "king"], 2, "unknown role"),
        (["users", "disable", "ghost"], 3, "no user 'ghost'"),
        (["tokens", "create", "ghost"], 3, "no user 'ghost'"),
        (["tokens", "revoke", "nope"], 3, "no token"),
        (["tokens", "create", "alice", "--expires-days", "0"], 2, "expires_days"),
        (["audit", "export", "--format", "csv", "x.csv"], 2, "unknown export format"),
        (["audit", "verify", "--expect-head", "abc"], 2, "64-character"),
        (["users", "set-chat", "alice"], 2, "give a chat id"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    desk_env: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    exit_code: int,
    message: str,
) -> None:
    assert run(capsys, "users", "create", "alice", "--role", "admin")[0] == 0
    code, _, err = run(capsys, "audit", "verify")
    code, out, err = run(capsys, *args)
    assert code == exit_code, err
    assert message in err and "Traceback" not in err and err.startswith("error: ")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "OK: 1 events" in out


def test_duplicate_user_exit_code(desk_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "users", "create", "bob")[0] == 0
    code, _, err = run(capsys, "users", "create", "bob")
    assert code == 4 and "already exists" in err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DESK_SECRET_KEYS": "not-a-key"}, "not a valid Fernet key"),
        ({"DESK_DATABASE_URL": "mysql://x/y"}, "DESK_DATABASE_URL"),
        ({"DESK_PORT": "http"}, "DESK_PORT"),
    ],
)
def test_invalid_settings_write_nothing(
    desk_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    message: str,
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code, _, err = run(capsys, "users", "create", "bob")
    assert code == 78 and message in err and "Traceback" not in err
    assert not (desk_env / ".desk" / "desk.duckdb").exists()


def test_corrupt_database_file(desk_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (desk_env / ".desk").mkdir()
    (desk_env / ".desk" / "desk.duckdb").write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "users", "list")
    assert code == 69 and "not a valid DuckDB database" in err and err.count("\n") == 1


def test_keys_add_and_rotate(
    desk_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    assert run(capsys, "users", "create", "bob")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-or-v1-cli-secret-value-1234\n"))
    assert run(capsys, "credentials", "add-llm", "bob", "--stdin")[0] == 0
    assert run(capsys, "keys", "add")[0] == 0
    code, out, _ = run(capsys, "keys", "rotate")
    assert code == 0 and "re-encrypted 1 credential" in out
    code, out, _ = run(capsys, "credentials", "list")
    assert code == 0 and "sk-or-v1-cli-secret-value-1234" not in out and "••••1234" in out


def test_help_lists_the_command_groups(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for group in ("db", "users", "tokens", "keys", "audit", "credentials", "serve", "demo"):
        assert group in out


def test_demo_runs(desk_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    assert "demo finished" in out and "audit chain OK" in out
