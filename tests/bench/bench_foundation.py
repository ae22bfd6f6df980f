"""Foundation benchmarks (not collected by pytest; prints figures, asserts nothing timed).

    uv run python tests/bench/bench_foundation.py [--events 1000000]

1. `desk --help` wall time against `python -c pass` (same interpreter, same run): a ratio.
2. `desk audit verify` throughput in events/s over N events on DuckDB (default 1,000,000),
   against a bare sha256 loop over the same canonical bodies (the floor for any verifier).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wall(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_help(runs: int) -> None:
    desk = str(Path(sys.executable).with_name("desk"))
    base = wall([sys.executable, "-c", "pass"], runs)
    help_ = wall([desk, "--help"], runs)
    print(f"python -c pass      median {base * 1000:8.1f} ms  ({runs} runs)")
    print(f"desk --help         median {help_ * 1000:8.1f} ms")
    print(f"ratio desk --help / python -c pass = {help_ / base:.2f}x")


def build_chain(n: int) -> list[dict[str, object]]:
    from desk.domain.audit import GENESIS_HASH, body_json, canonical_json, chain_hash

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[dict[str, object]] = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        fields = dict(
            id=f"{i:032x}",
            occurred_at=t0 + timedelta(milliseconds=i),
            action="bench.event",
            actor_id="u" * 32,
            actor_label="bench",
            channel="system",
            subject_type="bench",
            subject_id=str(i),
            payload={"i": i, "note": "benchmark event"},
        )
        payload_json = canonical_json(fields.pop("payload"))
        body = body_json(payload_json=payload_json, **fields)  # type: ignore[arg-type]
        h = chain_hash(prev, body)
        rows.append(
            {
                "seq": i,
                "prev_hash": prev,
                "hash": h,
                "payload": payload_json,
                "body": body,
                **fields,
            }
        )
        prev = h
    return rows


def bench_verify(n: int) -> None:
    import polars as pl
    import sqlalchemy as sa

    from desk.adapters.crypto import generate_key
    from desk.bootstrap import bootstrap
    from desk.services import audit
    from desk.settings import DeskSettings

    with tempfile.TemporaryDirectory() as tmp:
        settings = DeskSettings(
            _env_file=None,
            home=Path(tmp),
            database_url=f"duckdb:///{tmp}/bench.duckdb",  # type: ignore[call-arg]
            secret_keys=generate_key(),
        )
        t = time.perf_counter()
        rows = build_chain(n)
        print(f"built a {n:,}-event chain in {time.perf_counter() - t:.1f}s")
        frame = pl.DataFrame(
            {
                **{
                    k: [r[k] for r in rows]
                    for k in (
                        "seq",
                        "id",
                        "action",
                        "actor_id",
                        "actor_label",
                        "channel",
                        "subject_type",
                        "subject_id",
                        "prev_hash",
                        "hash",
                    )
                },
                "occurred_at": [r["occurred_at"].replace(tzinfo=None) for r in rows],  # type: ignore[attr-defined]
                "payload": [r["payload"] for r in rows],
            }
        )
        bodies = [(str(r["prev_hash"]), str(r["body"])) for r in rows[: min(n, 200_000)]]
        del rows
        with bootstrap(settings, upgrade=True) as rt:
            with rt.db.engine.begin() as conn:
                raw = conn.connection.driver_connection
                raw.register("bench_frame", frame.to_arrow())  # type: ignore[union-attr]
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_events (seq, id, occurred_at, action, actor_id,"
                        " actor_label, channel, subject_type, subject_id, payload, prev_hash, hash)"
                        " SELECT seq, id, occurred_at, action, actor_id, actor_label, channel,"
                        " subject_type, subject_id, payload::JSON, prev_hash, hash FROM bench_frame"
                    )
                )
                conn.execute(
                    sa.text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
                    {"s": n, "h": frame["hash"][-1]},
                )
            start = time.perf_counter()
            result = audit.verify(rt)
            elapsed = time.perf_counter() - start
        assert result.ok and result.count == n, result.describe()
        start = time.perf_counter()
        for prev, body in bodies:
            hashlib.sha256((prev + body).encode()).hexdigest()
        floor = (time.perf_counter() - start) / len(bodies)
    print(f"audit verify: {n:,} events on DuckDB in {elapsed:.2f}s = {n / elapsed:,.0f} events/s")
    print(
        f"bare sha256 over the same bodies: {1 / floor:,.0f} events/s "
        f"(verify costs {elapsed / n / floor:.1f}x the bare hash: reading rows + canonical JSON)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    bench_help(args.runs)
    bench_verify(args.events)


if __name__ == "__main__":
    main()
