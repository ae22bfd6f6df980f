"""Planted secrets never appear in the database file, logs, CLI output, API output, exports.

The session-wide check in ``tests/conftest.py`` also scans the log of the whole test run
for every secret planted with ``tests.planted.plant``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from desk.adapters.crypto import generate_key
from desk.api.app import create_app
from desk.bootstrap import bootstrap
from desk.cli.main import main
from desk.domain.errors import DeskError
from desk.domain.users import Actor, Channel
from desk.log import configure_logging
from desk.services import audit, users, vault
from tests.conftest import make_settings
from tests.planted import plant

LLM = plant("sk-or-v1-PLANTEDllmSECRET0123456789abcdef")
KITE_KEY = plant("PLANTEDkiteKEY77")
KITE_SECRET = plant("PLANTEDkiteSECRET8899aa")
ACCESS = plant("PLANTEDaccessTOKENqwerty12345")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with contextlib.suppress(SystemExit):
        main(list(args))
    out, err = capsys.readouterr()
    return out + err


def test_no_plaintext_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("DESK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESK_LOG_LEVEL", "DEBUG")
    outputs: list[str] = []

    created = run_cli(capsys, "users", "create", "alice", "--role", "admin", "--with-token")
    token = plant(created.split("token (shown once): ")[1].split()[0])  # shown once, by design
    monkeypatch.setattr("sys.stdin", io.StringIO(LLM + "\n"))
    outputs.append(run_cli(capsys, "credentials", "add-llm", "alice", "--stdin"))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{KITE_KEY}\n{KITE_SECRET}\n"))
    outputs.append(run_cli(capsys, "credentials", "add-broker", "alice", "--stdin"))
    for args in (
        ["credentials", "list"],
        ["tokens", "list"],
        ["audit", "tail"],
        ["keys", "status"],
    ):
        outputs.append(run_cli(capsys, *args))
    outputs.append(
        run_cli(capsys, "audit", "export", "--format", "jsonl", str(tmp_path / "a.jsonl"))
    )

    log_stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=log_stream)
    keyfile = (tmp_path / ".desk" / "secret.key").read_text().strip()
    settings = make_settings(
        f"duckdb:///{tmp_path / '.desk' / 'desk.duckdb'}", tmp_path / ".desk", keyfile
    )
    with bootstrap(settings) as rt:
        alice = users.authenticate(rt, token)
        actor = Actor.of(alice, Channel.API)
        cred = vault.list_broker_credentials(rt, actor)[0]
        view = vault.store_access_token(
            rt,
            actor,
            cred.id,
            access_token=ACCESS,
            expires_at=rt.clock.now(),
            broker_user_id="AB12",
        )
        secrets = vault.reveal_broker_secrets(rt, cred.id)
        logging.getLogger("desk.test").info("revealed %s %r", secrets.api_secret, secrets)
        import structlog

        structlog.get_logger("desk.test").info(
            "vault_used", api_key=secrets.api_key.reveal(), view=view
        )
        outputs.append(repr(view) + repr(secrets) + repr(vault.list_llm_credentials(rt, actor)))
        with TestClient(create_app(settings, runtime=rt)) as client:
            outputs.append(client.get("/health/").text)
        audit.export(rt, tmp_path / "a.parquet")
        try:
            vault.add_llm_credential(rt, actor, api_key=LLM + " space")
        except DeskError as exc:
            outputs.append(str(exc) + repr(exc.fields))
        assert audit.verify(rt).ok
    # The same key with a wrong companion key still cannot leak anything in its error.
    with bootstrap(
        make_settings(settings.effective_database_url, tmp_path / ".desk", generate_key())
    ) as rt:
        with pytest.raises(DeskError) as info:
            vault.reveal_llm_key(rt, alice.id)
        outputs.append(str(info.value))

    blobs = {
        "cli and api output": "\n".join(outputs).encode(),
        "logs": log_stream.getvalue().encode(),
        "jsonl export": (tmp_path / "a.jsonl").read_bytes(),
        "parquet export": (tmp_path / "a.parquet").read_bytes(),
    }
    for path in (tmp_path / ".desk").glob("desk.duckdb*"):
        blobs[path.name] = path.read_bytes()
    assert len(log_stream.getvalue()) > 0
    for secret in (LLM, KITE_KEY, KITE_SECRET, ACCESS, token):
        for where, blob in blobs.items():
            assert secret.encode() not in blob, f"plaintext secret found in {where}"
    # Masks were shown instead.
    assert "••••" in blobs["cli and api output"].decode()
