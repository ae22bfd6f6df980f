"""The audit chain in a real store: appends, tampering by SQL, concurrent writers."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from desk.bootstrap import Runtime
from desk.domain.users import Actor, Channel
from desk.services import audit, users

ROOT = Actor.system(channel=Channel.CLI, label="cli")


def _fill(rt: Runtime, n: int) -> None:
    for i in range(n):
        with rt.uow() as uow:
            audit.record(
                rt,
                uow,
                ROOT,
                "test.event",
                subject_type="test",
                subject_id=str(i),
                payload={"i": i},
            )
            uow.commit()


def _tamper(rt: Runtime, *statements: str) -> None:
    with rt.db.engine.begin() as conn:
        if rt.db.is_postgres:  # the append-only trigger must be switched off to tamper
            conn.execute(
                sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            )
        for statement in statements:
            conn.execute(sa.text(statement))


def test_chain_verifies_and_exports(runtime: Runtime, tmp_path: Path) -> None:
    _fill(runtime, 30)
    result = audit.verify(runtime)
    assert result.ok and result.count == 30
    out = tmp_path / "audit.parquet"
    assert audit.export(runtime, out) == 30
    frame = pl.read_parquet(out)
    assert frame.height == 30 and frame["seq"].to_list() == list(range(1, 31))
    assert frame["hash"][-1] == result.head_hash
    assert audit.export(runtime, tmp_path / "audit.jsonl", fmt="jsonl") == 30


@pytest.mark.parametrize(
    ("statements", "seq", "kind"),
    [
        (["UPDATE audit_events SET payload = '{\"i\": 99}' WHERE seq = 5"], 5, "edited"),
        (["UPDATE audit_events SET actor_label = 'mallory' WHERE seq = 7"], 7, "edited"),
        (["DELETE FROM audit_events WHERE seq = 4"], 5, "deleted"),
        (
            [
                "UPDATE audit_events SET seq = 100 WHERE seq = 4",
                "UPDATE audit_events SET seq = 4 WHERE seq = 5",
                "UPDATE audit_events SET seq = 5 WHERE seq = 100",
            ],
            4,
            "reordered",
        ),
        (
            [
                "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 6",
                "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1006",
                "INSERT INTO audit_events SELECT 6, 'forged', occurred_at, action, actor_id,"
                " actor_label, channel, subject_type, subject_id, payload, prev_hash, hash"
                " FROM audit_events WHERE seq = 3",
            ],
            6,
            "inserted",
        ),
    ],
    ids=["edited-payload", "edited-actor", "deleted", "reordered", "inserted"],
)
def test_tampering_is_detected_and_located(
    runtime: Runtime, statements: list[str], seq: int, kind: str
) -> None:
    _fill(runtime, 10)
    _tamper(runtime, *statements)
    result = audit.verify(runtime)
    assert not result.ok and result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (seq, kind), result.describe()


def test_checkpoint_detects_truncation(runtime: Runtime) -> None:
    _fill(runtime, 5)
    head = audit.verify(runtime).head_hash
    _tamper(runtime, "DELETE FROM audit_events WHERE seq = 5")
    assert audit.verify(runtime).ok  # a clean cut looks intact without a checkpoint...
    assert not audit.verify(runtime, expected_head=head).ok  # ...and is caught with one


@pytest.mark.postgres
def test_postgres_refuses_updates_and_deletes(
    postgres_url: str, tmp_path: Path, secret_keys: str
) -> None:
    from desk.bootstrap import bootstrap
    from tests.conftest import make_settings

    with bootstrap(make_settings(postgres_url, tmp_path, secret_keys)) as rt:
        _fill(rt, 2)
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with (
                pytest.raises(sa.exc.DBAPIError, match="append-only"),
                rt.db.engine.begin() as conn,
            ):
                conn.execute(sa.text(statement))
        assert audit.verify(rt).count == 2


def test_concurrent_writers_never_fork_the_chain(runtime: Runtime) -> None:
    """Eight threads append at once (row lock on Postgres, write lock on DuckDB)."""
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(10):
                users.create_user(runtime, ROOT, f"user{k}x{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = audit.verify(runtime)
    assert result.ok and result.count == 80
    with runtime.uow(write=False) as uow:
        assert uow.audit.head() == (80, result.head_hash)


def test_audit_listing_pages_and_requires_admin(runtime: Runtime) -> None:
    _fill(runtime, 7)
    page = audit.list_events(runtime, ROOT, limit=3)
    assert [e.seq for e in page.events] == [7, 6, 5] and page.next_before_seq == 5
    rest = audit.list_events(runtime, ROOT, limit=10, before_seq=page.next_before_seq)
    assert [e.seq for e in rest.events] == [4, 3, 2, 1] and rest.next_before_seq is None
    bob = users.create_user(runtime, ROOT, "bob")
    from desk.domain.errors import PermissionDeniedError, ValidationError

    with pytest.raises(PermissionDeniedError):
        audit.list_events(runtime, Actor.of(bob, Channel.API))
    with pytest.raises(ValidationError):
        audit.list_events(runtime, ROOT, limit=0)
    with pytest.raises(ValidationError):
        audit.verify(runtime, expected_head="xyz")
