"""Approve → broker overhead against a bare kiteconnect.place_order (prints figures only).

    uv run python tests/bench/bench_execution.py [--orders 50] [--latency-ms 50]
        [--database-url postgresql+psycopg://desk:desk@127.0.0.1:5432/desk_bench]

Both paths talk to the same fake Kite server over 127.0.0.1 through the real kiteconnect
client. The Desk path is the final approval (quorum 2) plus the execution hand-off of a live
(Kite) venue: the risk re-check with one concurrent round of reads (LTP, positions, account
margins, the order's required margin), the conditional approved → executing transition, the
execution intent (stored before placing; a fresh one needs no reconcile-by-tag read), the
placement and the first status poll, on a DuckDB store (or ``--database-url``). Goal: p50 ≤
2x the bare call. Floor: the approval's and hand-off's commits plus two broker round trips
(the reads, the placement), i.e. just over 2x once the latency dominates.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiteconnect import KiteConnect

from desk.adapters.crypto import generate_key
from desk.adapters.kite.broker import KiteBroker
from desk.adapters.kite.fake_server import Fault, run_fake_kite
from desk.adapters.store.per_call import execution_repository
from desk.adapters.system import market_hours_clock
from desk.adapters.trading_venue import BrokerMarketView
from desk.bootstrap import bootstrap
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.users import Actor, Channel
from desk.services import agents, approvals, proposals, trading, users
from desk.services.execution import ExecutionStep, Executor
from desk.settings import DeskSettings

ROOT = Actor.system(channel=Channel.CLI, label="bench")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="Delay the fake adds to every Kite call (real Kite: ~30-100 ms).",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="An empty Postgres database to use instead of a temporary DuckDB file.",
    )
    args = parser.parse_args()
    n = args.orders
    with run_fake_kite() as kite, tempfile.TemporaryDirectory() as tmp:
        if args.latency_ms:
            kite.fake.add_fault(Fault("delay", times=-1, delay_seconds=args.latency_ms / 1000))
        bare = KiteConnect("fake_api_key", access_token="fake_access_token", root=kite.url)
        bare_s = []
        for i in range(n):
            start = time.perf_counter()
            bare.place_order(
                variety="regular",
                exchange="NSE",
                tradingsymbol="INFY",
                transaction_type="BUY",
                quantity=1,
                order_type="MARKET",
                product="CNC",
                market_protection=-1,
                tag=f"bare{i}",
            )
            bare_s.append(time.perf_counter() - start)

        settings = DeskSettings(
            _env_file=None,
            home=Path(tmp),
            database_url=args.database_url or f"duckdb:///{tmp}/b.duckdb",
            secret_keys=generate_key(),
        )
        with bootstrap(settings, upgrade=True, clock=market_hours_clock()) as rt:
            proposals.load_instruments(rt, ROOT, INSTRUMENTS_CSV.read_text())
            owner, a1, a2 = (
                Actor.of(users.create_user(rt, ROOT, u), Channel.API)
                for u in ("owner", "asha", "vikram")
            )
            cfg = {
                "model": "m/x",
                "system_prompt": "p",
                "universe": ["NSE:INFY"],
                "quorum": 2,
                "risk_limits": {
                    "max_orders_per_day": 100_000,
                    "max_notional_per_day_paise": 10**12,
                    "max_position_exposure_paise": 10**12,
                },
            }
            agent = agents.create_agent(
                rt, owner, name="bench", config=cfg, approvers=[a1.user_id or "", a2.user_id or ""]
            ).agent
            promo = agents.request_promotion(rt, owner, agent.id, 1)
            approvals.decide(rt, a1, promo.id, "approve")
            approvals.decide(rt, a2, promo.id, "approve")
            broker = KiteBroker("fake_api_key", "fake_access_token", root=kite.url)
            market = BrokerMarketView(broker, live=True)
            placed_at: list[float] = []

            def checkpoint(step: ExecutionStep, _intent: object) -> None:
                if step is ExecutionStep.ORDER_PLACED:
                    placed_at.append(time.perf_counter())

            executor = Executor(
                broker, execution_repository(rt.db), rt.clock, rt.ids, checkpoint=checkpoint
            )
            desk_s, total_s, outcomes = [], [], []
            order = {
                "exchange": "NSE",
                "tradingsymbol": "INFY",
                "transaction_type": "BUY",
                "quantity": 1,
                "order_type": "MARKET",
                "product": "CNC",
                "rationale": "bench",
            }
            for _ in range(n):
                out = proposals.submit_proposal(rt, market, owner, agent.id, order)
                approvals.decide(rt, a1, out.request_id or "", "approve")
                start = time.perf_counter()
                approvals.decide(rt, a2, out.request_id or "", "approve")
                result = trading.execute_request(rt, executor, market, out.request_id or "")
                total_s.append(time.perf_counter() - start)
                desk_s.append(placed_at[-1] - start)
                outcomes.append(result.outcome.value)
    for label, samples in (
        ("bare kiteconnect.place_order", bare_s),
        ("approve -> order placed", desk_s),
        ("approve -> executed recorded", total_s),
    ):
        print(f"{label:30} p50 {pct(samples, 0.5):6.1f} ms  p99 {pct(samples, 0.99):6.1f} ms")
    print(
        f"latency {args.latency_ms:.0f} ms/call; ratio p50 "
        f"{statistics.median(desk_s) / statistics.median(bare_s):.2f}x "
        f"(goal <= 2x); outcomes: {dict((o, outcomes.count(o)) for o in set(outcomes))}"
    )


if __name__ == "__main__":
    main()
