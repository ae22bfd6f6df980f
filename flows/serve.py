"""The deployments ``desk flows serve`` runs: one per scheduled agent, plus housekeeping.

Built from the same :class:`~desk.flows_support.schedules.AgentSchedule` list as
``desk schedules sync``, so serving and syncing agree on names, crons and parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from prefect.client.schemas.schedules import CronSchedule
from prefect.types.entrypoint import EntrypointType
from prefect.utilities.callables import parameter_schema

from desk.flows_support.schedules import TIMEZONE, AgentSchedule
from flows.analysis import analysis_flow
from flows.approval_sweep import approval_sweep_flow
from flows.execute_run import execute_run_flow
from flows.instruments_refresh import instruments_refresh_flow
from flows.kite_token_reminder import kite_token_reminder_flow
from flows.order_reconciliation import order_reconciliation_flow
from flows.run_recovery import run_recovery_flow

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

SWEEP_CRON = "* * * * *"
RECONCILE_CRON = "*/5 * * * *"
INSTRUMENTS_CRON = "0 8 * * 1-5"
REMINDER_CRON = "0 * * * *"  # 08:00 IST on weekdays, before the session


def _deployment(flow: Flow[..., Any], **options: Any) -> RunnerDeployment:
    """``flow.to_deployment`` called from sync code (it returns the deployment, not a coroutine)."""
    return cast("RunnerDeployment", flow.to_deployment(**options))


def analysis_schema() -> dict[str, Any]:
    """The analysis flow's parameter schema, as the Prefect UI shows it."""
    return parameter_schema(analysis_flow).model_dump(exclude_unset=True)


def agent_deployments(wanted: Sequence[AgentSchedule]) -> list[RunnerDeployment]:
    return [
        _deployment(
            analysis_flow,
            name=item.deployment_name,
            schedules=[CronSchedule(cron=item.cron, timezone=TIMEZONE)],
            paused=item.paused,
            parameters=item.parameters,
            tags=item.tags,
            description=f"Scheduled analysis runs of agent {item.agent_name!r} (managed by desk)",
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for item in wanted
    ]


def housekeeping_deployments(sweep_cron: str = SWEEP_CRON) -> list[RunnerDeployment]:
    return [
        _deployment(
            approval_sweep_flow,
            name="approval-timeout-sweep",
            schedules=[CronSchedule(cron=sweep_cron, timezone=TIMEZONE)],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        _deployment(
            run_recovery_flow, name="run-recovery", entrypoint_type=EntrypointType.MODULE_PATH
        ),
        _deployment(
            execute_run_flow, name="execute-run", entrypoint_type=EntrypointType.MODULE_PATH
        ),
        _deployment(
            order_reconciliation_flow,
            name="order-reconciliation",
            schedules=[CronSchedule(cron=RECONCILE_CRON, timezone=TIMEZONE)],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        _deployment(
            kite_token_reminder_flow,
            name="kite-token-reminder",
            schedules=[CronSchedule(cron=REMINDER_CRON, timezone=TIMEZONE)],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        _deployment(
            instruments_refresh_flow,
            name="instruments-refresh",
            schedules=[CronSchedule(cron=INSTRUMENTS_CRON, timezone=TIMEZONE)],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
    ]
