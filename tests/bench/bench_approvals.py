"""Approval decisions under contention (not collected by pytest; prints figures).

    uv run python tests/bench/bench_approvals.py [--requests 200] [--deciders 32]

32 approver threads decide the same batch of trade requests (quorum 3 of 32) at once, on
DuckDB and on Postgres (DESK_TEST_POSTGRES_URL or the local desk_test database). Prints
decisions/s and the number of requests that reached `approved` more than once (must be 0),
plus the single-thread rate in the same run as a baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desk.adapters.crypto import generate_key
from desk.adapters.store import migrate
from desk.adapters.store.engine import open_database
from desk.bootstrap import Runtime, bootstrap
from desk.domain.errors import DeskError
from desk.domain.users import Actor, Channel
from desk.services import agents, approvals, users
from desk.services.transactions import atomically
from desk.settings import DeskSettings

ROOT = Actor.system(channel=Channel.CLI, label="bench")
PG = os.environ.get(
    "DESK_TEST_POSTGRES_URL", "postgresql+psycopg://desk:desk@127.0.0.1:5432/desk_test"
)


def setup(rt: Runtime, deciders: int) -> tuple[str, list[Actor], Actor]:
    owner = Actor.of(users.create_user(rt, ROOT, "owner"), Channel.API)
    people = [
        Actor.of(users.create_user(rt, ROOT, f"ap{i:02d}"), Channel.API) for i in range(deciders)
    ]
    cfg = {
        "model": "m/x",
        "system_prompt": "p",
        "universe": ["NSE:INFY"],
        "quorum": 3,
        "approval_timeout_minutes": 600,
    }
    agent = agents.create_agent(
        rt, owner, name="bench", config=cfg, approvers=[p.user_id or "" for p in people]
    ).agent
    promo = agents.request_promotion(rt, owner, agent.id, 1)
    for p in people[:3]:
        approvals.decide(rt, p, promo.id, "approve")
    return agent.id, people, owner


def open_requests(rt: Runtime, agent_id: str, owner: Actor, n: int) -> list[str]:
    return [
        atomically(
            rt,
            lambda uow, i=i: approvals.open_trade_request(
                rt,
                uow,
                agent_id=agent_id,
                subject_id=f"s{i}",
                proposer_id=owner.user_id or "",
                details={},
            ),
        ).id
        for i in range(n)
    ]


def run(rt: Runtime, label: str, n_requests: int, deciders: int) -> None:
    agent_id, people, owner = setup(rt, deciders)
    approved_events: list[str] = []
    rt.events.subscribe(
        lambda e: (
            approved_events.append(e.subject_id)
            if e.topic == "approval.decided" and e.data.get("state") == "approved"
            else None
        )
    )
    # baseline: one thread, three decisions per request
    base_ids = open_requests(rt, agent_id, owner, max(20, n_requests // 10))
    start = time.perf_counter()
    for rid in base_ids:
        for p in people[:3]:
            approvals.decide(rt, p, rid, "approve")
    base_rate = 3 * len(base_ids) / (time.perf_counter() - start)

    ids = open_requests(rt, agent_id, owner, n_requests)
    counts = {"ok": 0, "refused": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(deciders)

    def worker(actor: Actor) -> None:
        barrier.wait()
        for rid in ids:
            try:
                approvals.decide(rt, actor, rid, "approve")
                outcome = "ok"
            except DeskError:
                outcome = "refused"  # the request was already approved by others
            with lock:
                counts[outcome] += 1

    threads = [threading.Thread(target=worker, args=(p,)) for p in people]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    attempts = counts["ok"] + counts["refused"]
    doubles = len(approved_events) - len(set(approved_events))
    with rt.uow(write=False) as uow:
        states = [uow.approvals.get(r).state.value for r in ids]  # type: ignore[union-attr]
    print(f"[{label}] single thread: {base_rate:,.0f} decisions/s")
    print(
        f"[{label}] {deciders} deciders x {n_requests} requests: "
        f"{attempts / elapsed:,.0f} decide calls/s ({counts['ok']} recorded, "
        f"{counts['refused']} refused as already decided) in {elapsed:.1f}s"
    )
    print(
        f"[{label}] approved: {states.count('approved')}/{n_requests}; "
        f"double approved transitions: {doubles}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--deciders", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = DeskSettings(
            _env_file=None,
            home=Path(tmp),
            database_url=f"duckdb:///{tmp}/b.duckdb",
            secret_keys=generate_key(),
        )
        with bootstrap(settings, upgrade=True) as rt:
            run(rt, "duckdb", args.requests, args.deciders)
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = sa.create_engine(PG)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        try:
            url = f"{PG}?options=-csearch_path%3D{schema}"
            db = open_database(url)
            migrate.upgrade(db)
            db.dispose()
            pg = DeskSettings(
                _env_file=None, home=Path(tmp), database_url=url, secret_keys=generate_key()
            )
            with bootstrap(pg) as rt:
                rt.db.engine.pool._pool.maxsize = 40  # type: ignore[attr-defined]
                run(rt, "postgres", args.requests, args.deciders)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
