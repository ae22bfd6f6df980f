"""Reload the instruments master (daily, before the session): Kite's /instruments when an
admin has a live Kite session, else the CSV shipped for the paper desk."""

from __future__ import annotations

from prefect import flow, task

from desk.flows_support.analysis import open_runtime


@task(name="refresh-instruments", retries=2, retry_delay_seconds=30)
def refresh(desk_home: str | None) -> int:
    from desk.adapters.kite.broker import KiteBroker
    from desk.demo_data import INSTRUMENTS_CSV
    from desk.domain.users import Actor, Channel
    from desk.services import proposals, vault

    system = Actor.system(channel=Channel.SYSTEM, label="instruments-refresh")
    with open_runtime(desk_home) as rt:
        live = [
            c for c in vault.list_broker_credentials(rt, system)
            if c.is_active and c.token_status in ("valid", "expiring")
        ]  # fmt: skip
        if live:
            secrets = vault.reveal_broker_secrets(rt, live[0].id)
            token = secrets.access_token.reveal() if secrets.access_token else None
            broker = KiteBroker(secrets.api_key.reveal(), token, root=rt.settings.kite_root)
            csv = broker.instruments_csv()
        else:
            csv = INSTRUMENTS_CSV.read_text(encoding="utf-8")
        return proposals.load_instruments(rt, system, csv)


@flow(name="instruments-refresh", timeout_seconds=900)
def instruments_refresh_flow(desk_home: str | None = None) -> int:
    """How many instruments are now in the master."""
    return refresh(desk_home)
