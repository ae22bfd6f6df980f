"""The trading housekeeping flows, through their tasks' functions (no Prefect server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.bootstrap import bootstrap
from tests.conftest import make_settings


def test_instruments_refresh_loads_the_paper_master(
    duckdb_url: str, tmp_path: Path, secret_keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.instruments_refresh import refresh

    settings = make_settings(duckdb_url, tmp_path, secret_keys)
    for name, value in {"DESK_DATABASE_URL": duckdb_url, "DESK_SECRET_KEYS": secret_keys}.items():
        monkeypatch.setenv(name, value)
    count = refresh.fn(str(tmp_path))
    assert count > 10
    with bootstrap(settings) as rt, rt.uow(write=False) as uow:
        assert uow.instruments.get("NSE", "INFY") is not None


def test_order_reconciliation_with_nothing_working(
    duckdb_url: str, tmp_path: Path, secret_keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.order_reconciliation import reconcile

    for name, value in {"DESK_DATABASE_URL": duckdb_url, "DESK_SECRET_KEYS": secret_keys}.items():
        monkeypatch.setenv(name, value)
    assert reconcile.fn(str(tmp_path)) == 0


def test_kite_token_reminder_reminds_once_and_audits(
    duckdb_url: str, tmp_path: Path, secret_keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from desk.domain.users import Actor, Channel
    from desk.services import users, vault
    from flows.kite_token_reminder import remind

    settings = make_settings(duckdb_url, tmp_path, secret_keys)
    with bootstrap(settings) as rt:
        owner = Actor.of(
            users.create_user(rt, Actor.system(channel=Channel.CLI), "olga"), Channel.API
        )
        cred = vault.add_broker_credential(
            rt, owner, api_key="kiteapikey01", api_secret="kitesecret0123"
        )
        soon = datetime.now(UTC) + timedelta(minutes=30)
        vault.store_access_token(rt, owner, cred.id, access_token="a" * 32, expires_at=soon,
                                 broker_user_id="AB1234")  # fmt: skip
    for name, value in {"DESK_DATABASE_URL": duckdb_url, "DESK_SECRET_KEYS": secret_keys}.items():
        monkeypatch.setenv(name, value)
    assert remind.fn(str(tmp_path)) == [cred.id]
    assert remind.fn(str(tmp_path)) == []  # once per expiry, remembered in the audit trail
