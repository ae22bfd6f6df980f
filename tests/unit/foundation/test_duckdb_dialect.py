"""DuckDB URLs get the cached dialect; everything else is left as written."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from desk.adapters.store.duckdb_dialect import with_cached_dialect


@pytest.mark.parametrize(
    "url", ["duckdb:///x.duckdb", "duckdb+duckdb_engine:///x.duckdb", "duckdb:///:memory:"]
)
def test_duckdb_urls_use_the_cached_dialect(url: str) -> None:
    converted = with_cached_dialect(make_url(url))
    assert converted.drivername == "duckdb+desk"
    assert converted.database == make_url(url).database


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://u:p@h/db", "duckdb+desk:///x.duckdb", "sqlite:///x.db"]
)
def test_other_urls_are_unchanged(url: str) -> None:
    assert with_cached_dialect(make_url(url)) == make_url(url)
