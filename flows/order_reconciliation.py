"""Reconcile executing trades with their broker and settle them (every few minutes).

For desks whose service runs elsewhere (Postgres): the same recovery the service runs on
start — every request left executing is matched to the broker's order book by its tag
(adopted, never placed twice) and settled to executed/failed when the order is final.
"""

from __future__ import annotations

from prefect import flow, task

from desk.flows_support.analysis import open_runtime


@task(name="reconcile-orders", retries=2, retry_delay_seconds=10)
def reconcile(desk_home: str | None) -> int:
    from desk.domain.approval_model import RequestState
    from desk.server import DeskServer
    from desk.services import approvals

    with open_runtime(desk_home) as rt:
        server = DeskServer(rt)
        try:
            server.dispatcher.recover()
            server.dispatcher.drain()
        finally:
            server.stop()
        return len(approvals.trade_requests_in(rt, RequestState.EXECUTING))


@flow(name="order-reconciliation", timeout_seconds=600)
def order_reconciliation_flow(desk_home: str | None = None) -> int:
    """How many trades are still working at the broker afterwards."""
    return reconcile(desk_home)
