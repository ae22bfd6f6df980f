"""Apply the timeout policy of every approval request that is due (every minute by default)."""

from __future__ import annotations

from prefect import flow, task

from desk.flows_support.analysis import open_runtime
from desk.services import approvals


@task(name="sweep-approval-timeouts", retries=2, retry_delay_seconds=10)
def sweep(desk_home: str | None) -> list[str]:
    with open_runtime(desk_home) as rt:
        return [r.id for r in approvals.sweep_timeouts(rt)]


@flow(name="approval-timeout-sweep", timeout_seconds=300)
def approval_sweep_flow(desk_home: str | None = None) -> list[str]:
    """Ids of the requests whose timeout was applied (expired, escalated or paused)."""
    return sweep(desk_home)
