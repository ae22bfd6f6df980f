"""Shared fixtures: real stores (DuckDB file per test, Postgres schema per test), runtimes.

Postgres comes from ``DESK_TEST_POSTGRES_URL`` (default: the local desk_test database that
``scripts/test.sh`` and ``.ci/run`` start). When it cannot be reached the Postgres tests are
skipped *loudly* (a banner at the end of the run), and under CI they fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.adapters.crypto import generate_key
from desk.adapters.store import migrate
from desk.adapters.store.engine import open_database
from desk.bootstrap import Runtime, bootstrap
from desk.domain.clock import FixedClock
from desk.settings import DeskSettings

DEFAULT_PG = "postgresql+psycopg://desk:desk@127.0.0.1:5432/desk_test"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
T0 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 09:30 IST on a Wednesday

RUN_LOG = Path(__file__).resolve().parents[1] / "test-artifacts" / "test-run.log"

_pg_problem: str | None = None
_pg_checked = False


def postgres_base_url() -> str | None:
    """The server URL, or None (with the reason remembered) when it cannot be reached."""
    global _pg_problem, _pg_checked
    url = os.environ.get("DESK_TEST_POSTGRES_URL", DEFAULT_PG)
    if not _pg_checked:
        _pg_checked = True
        try:
            engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as exc:
            _pg_problem = f"{url.split('@')[-1]}: {str(exc).splitlines()[0][:160]}"
    return None if _pg_problem else url


def require_postgres() -> str:
    url = postgres_base_url()
    if url is None:
        if os.environ.get("CI") or os.environ.get("DESK_TEST_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but unreachable ({_pg_problem})")
        pytest.skip(f"POSTGRES UNREACHABLE ({_pg_problem})")
    return url


def pytest_configure(config: pytest.Config) -> None:
    """Every log record of the run also goes to one file, scanned for secrets at the end."""
    import logging

    RUN_LOG.parent.mkdir(exist_ok=True)
    handler = logging.FileHandler(RUN_LOG, mode="w", encoding="utf-8")
    handler.set_name("desk-test-run-log")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any planted plaintext secret appears in the run's log."""
    import logging

    from tests.planted import PLANTED

    for handler in logging.getLogger().handlers:
        handler.flush()
    text = RUN_LOG.read_text(encoding="utf-8", errors="replace") if RUN_LOG.exists() else ""
    leaked = sorted(s for s in PLANTED if s in text)
    session.config.stash[_LEAKS] = leaked
    if leaked:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_LEAKS = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    leaked = terminalreporter.config.stash.get(_LEAKS, [])
    if leaked:
        terminalreporter.write_sep("!", "SECRET LEAK in the test-run log", red=True, bold=True)
        terminalreporter.write_line(
            f"  {len(leaked)} planted secret(s) appear in {RUN_LOG}", red=True
        )
    if _pg_problem:
        terminalreporter.write_sep("!", "PostgreSQL was NOT reachable", red=True, bold=True)
        terminalreporter.write_line(
            f"  {_pg_problem}\n  Postgres tests were skipped. Start it with `bash scripts/test.sh` "
            "or set DESK_TEST_POSTGRES_URL.",
            red=True,
        )


@pytest.fixture(scope="session")
def duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated DuckDB file, copied for each test (migrating each time costs 0.25 s)."""
    path = tmp_path_factory.mktemp("template") / "desk.duckdb"
    db = open_database(f"duckdb:///{path}")
    migrate.upgrade(db)
    db.dispose()
    return path


@pytest.fixture
def duckdb_url(tmp_path: Path, duckdb_template: Path) -> str:
    path = tmp_path / "desk.duckdb"
    shutil.copyfile(duckdb_template, path)
    return f"duckdb:///{path}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated schema on the test server; dropped afterwards."""
    base = require_postgres()
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{base}?options=-csearch_path%3D{schema}"
    db = open_database(url)
    migrate.upgrade(db)
    db.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on DuckDB and once on Postgres."""
    name = "duckdb_url" if request.param == "duckdb" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def secret_keys() -> str:
    return generate_key()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def make_settings(url: str, home: Path, keys: str, **extra: object) -> DeskSettings:
    return DeskSettings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        home=home,
        secret_keys=keys,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def runtime(
    store_url: str, tmp_path: Path, secret_keys: str, clock: FixedClock
) -> Iterator[Runtime]:
    rt = bootstrap(make_settings(store_url, tmp_path / "home", secret_keys), clock=clock)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def duck_runtime(
    duckdb_url: str, tmp_path: Path, secret_keys: str, clock: FixedClock
) -> Iterator[Runtime]:
    """DuckDB only: for service tests whose back-end does not matter."""
    rt = bootstrap(make_settings(duckdb_url, tmp_path / "home", secret_keys), clock=clock)
    try:
        yield rt
    finally:
        rt.close()
