"""Fail analysis runs a crashed process left pending or running.

Only safe when nothing is executing runs against this store (no ``desk serve``, no other flow
run): it fails *every* unfinished run. Its deployment therefore has no schedule; trigger it by
hand after a crash (``prefect deployment run run-recovery/run-recovery``).
"""

from __future__ import annotations

from prefect import flow, task

from desk.flows_support.analysis import open_runtime
from desk.services import runs


@task(name="recover-interrupted-runs", retries=2, retry_delay_seconds=10)
def recover(desk_home: str | None) -> list[str]:
    with open_runtime(desk_home) as rt:
        return runs.recover_interrupted(rt)


@flow(name="run-recovery", timeout_seconds=300)
def run_recovery_flow(desk_home: str | None = None) -> list[str]:
    """Ids of the runs marked failed (``interrupted``)."""
    return recover(desk_home)
