"""Remind owners whose Kite session expires within two hours (hourly on weekdays).

Each reminder is an audit event (and, inside the service, a Telegram message to the owner);
a session is reminded once per expiry.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task

from desk.flows_support.analysis import open_runtime


@task(name="remind-expiring-kite-sessions", retries=2, retry_delay_seconds=10)
def remind(desk_home: str | None) -> list[str]:
    from desk.services import kite_login

    with open_runtime(desk_home) as rt:
        with rt.uow(write=False) as uow:
            done = {
                (e.subject_id or "", datetime.fromisoformat(str(e.payload["expires_at"])))
                for e in uow.audit.list(limit=500, action="broker_credential.expiry_reminder")
            }
        return kite_login.remind_expiring(rt, done)


@flow(name="kite-token-reminder", timeout_seconds=300)
def kite_token_reminder_flow(desk_home: str | None = None) -> list[str]:
    """Ids of the broker credentials reminded this time."""
    return remind(desk_home)
