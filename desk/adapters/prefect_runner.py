"""Hands analysis runs to a Prefect work pool (``DESK_RUNNER=prefect``).

``submit`` triggers the ``execute-run/execute-run`` deployment (served by ``desk flows
serve`` or any Prefect worker) and returns at once; synchronous runs (``async_mode:
false``) still execute in this process. Prefect is imported only when a run is handed over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desk.domain.runs import AnalysisRun
from desk.services import runs
from desk.services.ports.context import Context
from desk.services.ports.research_engine import ResearchEngine

DEPLOYMENT = "execute-run/execute-run"
Trigger = Callable[[str, dict[str, Any]], object]


def _run_deployment(name: str, parameters: dict[str, Any]) -> object:
    from prefect.deployments import run_deployment

    return run_deployment(name, parameters=parameters, timeout=0)


class PrefectRunner:
    def __init__(
        self,
        ctx: Context,
        engine: ResearchEngine,
        *,
        desk_home: str | None,
        proposals: runs.ProposalSink | None = None,
        trigger: Trigger = _run_deployment,
        deployment: str = DEPLOYMENT,
    ) -> None:
        self._ctx = ctx
        self._engine = engine
        self._home = desk_home
        self._proposals = proposals
        self._trigger = trigger
        self._deployment = deployment
        self._closed = False

    @property
    def alive(self) -> bool:
        return not self._closed

    def run_now(self, run_id: str) -> AnalysisRun:
        return runs.execute_run_blocking(self._ctx, self._engine, run_id, proposals=self._proposals)

    def submit(self, run_id: str) -> object:
        if self._closed:
            raise RuntimeError("the runner is shut down")
        return self._trigger(self._deployment, {"run_id": run_id, "desk_home": self._home})

    def active(self) -> list[str]:
        return []  # the work pool knows; see the Prefect UI

    def shutdown(self, *, wait: bool = True) -> None:
        self._closed = True
