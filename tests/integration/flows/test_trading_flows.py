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
