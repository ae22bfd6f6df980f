"""API benchmarks (not collected by pytest; prints figures, asserts nothing timed).

    uv run python tests/bench/bench_api.py [--runs 1000000] [--backends duckdb,postgres]
                                           [--iterations 60] [--subscribers 100]

1. Run-history query latency (p50/p99) with N runs of one agent, on DuckDB and on Postgres
   (a fresh schema on DESK_TEST_POSTGRES_URL or the local test server), through the API
   (in-process ASGI, real auth and JSON) against the same statements in raw SQL, in the same
   run. Goal: API ≤ 1.5× raw SQL and p50 ≤ 50 ms.
2. SSE fan-out: 100 subscribers on one run's event stream (real uvicorn); time from an event
   being committed until every subscriber has it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

T0 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
DEFAULT_PG = "postgresql+psycopg://desk:desk@127.0.0.1:5432/desk_test"
CONFIG = {
    "model": "fake/analyst-1", "system_prompt": "bench", "universe": ["NSE:INFY"],
    "quorum": 1, "owner_counts_toward_quorum": True, "allow_self_approval": True,
}  # fmt: skip

# One statement per back-end: N runs, ~1 year of history, mixed statuses and queries.
_COLUMNS = (
    "id, agent_id, config_version, query, model, status, mode, replay, created_by, created_at, "
    "started_at, completed_at, cancel_requested, stop_reason, error, result_text, proposals, "
    "prompt_tokens, completion_tokens, cost_usd, steps, event_count, artifact_path"
)
_STATUS = (
    "CASE WHEN {i} % 10 < 7 THEN 'completed' WHEN {i} % 10 < 9 THEN 'failed' ELSE 'canceled' END"
)
_SELECT = (
    "SELECT {id}, :agent, 1, "
    "CASE WHEN {i} % 7 = 0 THEN 'Should we add INFY after results? #' || {i} "
    "ELSE 'What moved TCS today? #' || {i} END, 'fake/analyst-1', " + _STATUS + ", 'replay', "
    "'infosys_research', :owner, {ts}, {ts}, {ts}, false, 'answered', NULL, "
    "'A short report on the move #' || {i}, '[]', 1200, 300, 0.0123, 3, 12, NULL"
)
BULK = {
    "duckdb": f"INSERT INTO analysis_runs ({_COLUMNS}) "
    + _SELECT.format(
        id="md5(CAST(i AS VARCHAR))", i="i",
        ts="TIMESTAMP '2026-11-25 03:00:00' - to_seconds(CAST(i * 30 AS BIGINT))",
    )
    + " FROM range(:n) t(i)",
    "postgresql": f"INSERT INTO analysis_runs ({_COLUMNS}) "
    + _SELECT.format(
        id="md5(i::text)", i="i",
        ts="TIMESTAMP '2026-11-25 03:00:00' - make_interval(secs => i * 30)",
    )
    + " FROM generate_series(0, :n - 1) AS g(i)",
}  # fmt: skip

QUERIES: dict[str, dict[str, str]] = {
    "latest page": {},
    "completed, one month": {
        "status": "completed", "date_from": "2026-09-01", "date_to": "2026-09-30",
    },
    "text q=INFY, page 3": {"q": "INFY", "page": "3"},
    "oldest first": {"order_by": "created_at"},
}  # fmt: skip


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def timed(fn: Callable[[], object], iterations: int) -> list[float]:
    fn()  # warm up (plans, caches)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def raw_query(db: Any, agent_id: str, params: dict[str, str]) -> Callable[[], object]:
    """The statements the store runs for the same filters (count + one page), built by the
    store's own statement builder and bound once: the same SQL, without the API around it."""
    from desk.adapters.store.repos import run_history as history
    from desk.domain.runs import RunStatus

    page = int(params.get("page", "1"))
    query = history.HistoryQuery(
        agent_id=agent_id,
        statuses=tuple(RunStatus(s) for s in params.get("status", "").split(",") if s),
        text=params.get("q"),
        created_from=datetime(2026, 8, 31, 18, 30, tzinfo=UTC) if "date_from" in params else None,
        created_before=datetime(2026, 9, 30, 18, 30, tzinfo=UTC) if "date_to" in params else None,
        order_by=params.get("order_by", "-created_at"), limit=20, offset=(page - 1) * 20,
    )  # fmt: skip
    count, rows = history.count_statement(query), history.page_statement(query)

    def run() -> object:
        with db.engine.connect() as conn:
            conn.execute(count).scalar_one()
            return conn.execute(rows).fetchall()

    return run


def setup_store(url: str, home: Path, n: int) -> tuple[Any, str, str]:
    from cryptography.fernet import Fernet

    from desk.adapters.store.repos.run_history import recount
    from desk.bootstrap import bootstrap
    from desk.domain.clock import FixedClock
    from desk.domain.users import Actor, Channel
    from desk.services import agents, users
    from desk.settings import DeskSettings

    settings = DeskSettings(_env_file=None, database_url=url, home=home,
                            secret_keys=Fernet.generate_key().decode())  # fmt: skip
    rt = bootstrap(settings, upgrade=True, clock=FixedClock(T0))
    root = Actor.system(channel=Channel.CLI, label="bench")
    owner = users.create_user(rt, root, "benchowner", role="admin")
    token = users.create_token(rt, root, owner.id, name="bench").plaintext
    detail = agents.create_agent(rt, Actor.of(owner, Channel.API), name="bench", config=CONFIG)
    start = time.perf_counter()
    with rt.db.engine.begin() as conn:
        conn.execute(sa.text(BULK[rt.db.engine.dialect.name]),
                     {"agent": detail.agent.id, "owner": owner.id, "n": n})  # fmt: skip
        recount(conn)  # the bulk load bypasses the repository: rebuild the run counters
    if rt.db.engine.dialect.name == "postgresql":  # steady state: autovacuum has run
        with rt.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE analysis_runs"))
            conn.execute(sa.text("VACUUM ANALYZE run_counts"))
    print(f"  inserted {n:,} runs in {time.perf_counter() - start:.1f} s")
    return rt, detail.agent.id, token


def bench_history(name: str, url: str, n: int, iterations: int) -> None:
    from fastapi.testclient import TestClient

    from desk.api.app import create_app

    print(f"\n== run history on {name} ({n:,} runs of one agent) ==")
    with tempfile.TemporaryDirectory() as tmp:
        rt, agent_id, token = setup_store(url, Path(tmp) / "home", n)
        app = create_app(rt.settings, runtime=rt, background=False)
        path = f"/api/v1/agents/{agent_id}/analysis-runs/"
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            print(f"  {'query':<24}{'API p50':>9}{'p99':>9}{'SQL p50':>9}{'p99':>9}{'ratio':>8}")
            for label, params in QUERIES.items():

                def api_call(p: dict[str, str] = params) -> object:
                    response = client.get(path, params=p)
                    assert response.status_code == 200, response.text
                    return response

                api = timed(api_call, iterations)
                raw = timed(raw_query(rt.db, agent_id, params), iterations)
                ratio = statistics.median(api) / statistics.median(raw)
                print(f"  {label:<24}{pct(api, .5):>7.1f}ms{pct(api, .99):>7.1f}ms"
                      f"{pct(raw, .5):>7.1f}ms{pct(raw, .99):>7.1f}ms{ratio:>7.2f}x")  # fmt: skip
        rt.close()


def postgres_schema_url(base: str) -> tuple[str, Callable[[], None]]:
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return f"{base}?options=-csearch_path%3D{schema}", drop


def bench_fanout(subscribers: int, events: int) -> None:
    import httpx
    import uvicorn

    from desk.api.app import create_app
    from desk.client.sse import aparse
    from desk.services import runs

    print(f"\n== SSE fan-out: {subscribers} subscribers on one run (DuckDB, uvicorn) ==")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"duckdb:///{tmp}/desk.duckdb"
        rt, agent_id, token = setup_store(url, Path(tmp) / "home", 0)
        app = create_app(rt.settings, runtime=rt)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        from desk.domain.users import Actor, Channel
        from desk.services import users

        owner = Actor.of(users.list_users(rt, Actor.system())[0], Channel.API)
        run = runs.start_run(rt, None, owner, agent_id, query="fan-out", config_version=1)  # type: ignore[arg-type]
        path = f"http://127.0.0.1:{port}/api/v1/agents/{agent_id}/analysis-runs/{run.id}/events/stream/"
        arrivals: dict[int, list[float]] = {}

        async def subscriber(http: httpx.AsyncClient, connected: asyncio.Event,
                             counter: list[int]) -> None:  # fmt: skip
            async with http.stream("GET", path) as response:
                counter[0] += 1
                if counter[0] == subscribers:
                    connected.set()
                async for event in aparse(response.aiter_lines()):
                    if event.event == "end":
                        return
                    if event.event == "run_event" and event.id:
                        arrivals.setdefault(int(event.id), []).append(time.perf_counter())

        async def main() -> None:
            limits = httpx.Limits(max_connections=subscribers + 10)
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(headers=headers, limits=limits, timeout=None) as http:
                connected, counter = asyncio.Event(), [0]
                tasks = [asyncio.create_task(subscriber(http, connected, counter))
                         for _ in range(subscribers)]  # fmt: skip
                await asyncio.wait_for(connected.wait(), 30)
                await asyncio.sleep(1.0)  # every stream has done its first read
                sent: dict[int, float] = {}
                for seq in range(1, events + 1):
                    sent[seq] = time.perf_counter()
                    # the runner's own path: append (commit) then publish run.event
                    await asyncio.to_thread(runs._append, rt, run.id, "message", {"n": seq})
                    await asyncio.sleep(0.5)
                await asyncio.to_thread(runs.cancel_run, rt, owner, agent_id, run.id)
                await asyncio.wait_for(asyncio.gather(*tasks), 30)
                reach_all = [(max(arrivals[s]) - sent[s]) * 1000 for s in sent]
                first = [(min(arrivals[s]) - sent[s]) * 1000 for s in sent]
                complete = all(len(arrivals[s]) == subscribers for s in sent)
                print(f"  every subscriber got every event: {complete}")
                print(f"  first subscriber: median {statistics.median(first):.1f} ms")
                print(f"  all {subscribers}: median {statistics.median(reach_all):.1f} ms, "
                      f"max {max(reach_all):.1f} ms over {events} events")  # fmt: skip

        asyncio.run(main())
        server.should_exit = True
        thread.join(10)
        rt.close()


def main() -> None:
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--backends", default="duckdb,postgres")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--events", type=int, default=10)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    backends = args.backends.split(",")
    if "duckdb" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            bench_history("DuckDB", f"duckdb:///{tmp}/desk.duckdb", args.runs, args.iterations)
    if "postgres" in backends:
        base = os.environ.get("DESK_TEST_POSTGRES_URL", DEFAULT_PG)
        url, drop = postgres_schema_url(base)
        try:
            bench_history("Postgres", url, args.runs, args.iterations)
        finally:
            drop()
    if args.subscribers:
        bench_fanout(args.subscribers, args.events)


if __name__ == "__main__":
    main()
