"""Kite login through the real kiteconnect client against the fake Kite server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from desk.adapters.kite.broker import KiteBroker
from desk.adapters.kite.fake_server import RunningFakeKite, run_fake_kite
from desk.bootstrap import Runtime
from desk.domain.errors import DeskError, NotFoundError, ValidationError
from desk.services import kite_login, vault
from tests.integration.conftest import People
from tests.planted import plant

SECRET = plant("fake_api_secret")


@pytest.fixture
def store_url(duckdb_url: str) -> str:
    return duckdb_url


@pytest.fixture(scope="module")
def kite() -> Iterator[RunningFakeKite]:
    with run_fake_kite() as running:
        yield running


def test_login_stores_the_session_encrypted_with_its_expiry(
    runtime: Runtime, people: People, kite: RunningFakeKite
) -> None:
    cred = vault.add_broker_credential(
        runtime, people.owner, api_key="fake_api_key", api_secret=SECRET
    )
    factory = lambda key: KiteBroker(key, root=kite.url)  # noqa: E731
    url = kite_login.login_url(runtime, people.owner, cred.id, factory)
    assert (
        url.startswith("https://kite.zerodha.com/connect/login") and "api_key=fake_api_key" in url
    )
    view = kite_login.complete_login(runtime, people.owner, cred.id, "reqtoken123", factory)
    assert view.token_status in ("valid", "expiring") and view.broker_user_id
    assert view.access_token_expires_at is not None
    assert view.access_token_expires_at.astimezone(kite_login.IST).hour == 6
    secrets = vault.reveal_broker_secrets(runtime, cred.id)
    assert secrets.access_token is not None and secrets.access_token.reveal() not in repr(view)
    with pytest.raises(DeskError):  # request tokens are single-use at Kite
        kite_login.complete_login(runtime, people.owner, cred.id, "reqtoken123", factory)
    with pytest.raises(ValidationError, match="request_token"):
        kite_login.complete_login(runtime, people.owner, cred.id, "bad token!", factory)
    with pytest.raises(NotFoundError):
        kite_login.login_url(runtime, people.a1, cred.id, factory)


@pytest.mark.parametrize(
    ("login", "expiry"),
    [
        (datetime(2026, 11, 25, 3, 0, tzinfo=UTC), datetime(2026, 11, 26, 0, 30, tzinfo=UTC)),
        (datetime(2026, 11, 24, 23, 0, tzinfo=UTC), datetime(2026, 11, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_tokens_expire_at_the_next_six_am_ist(login: datetime, expiry: datetime) -> None:
    assert kite_login.session_expiry(login) == expiry


def test_expiring_sessions_are_reminded_once(runtime: Runtime, people: People) -> None:
    from datetime import timedelta

    from desk.services.ports.events import DomainEvent

    seen: list[DomainEvent] = []
    runtime.events.subscribe(seen.append)
    cred = vault.add_broker_credential(
        runtime, people.owner, api_key="kiteapikey01", api_secret="kitesecret0123"
    )
    vault.store_access_token(
        runtime, people.owner, cred.id, access_token="a" * 32,
        expires_at=runtime.clock.now() + timedelta(hours=1), broker_user_id="AB1234",
    )  # fmt: skip
    reminded: set[tuple[str, datetime]] = set()
    assert kite_login.remind_expiring(runtime, reminded) == [cred.id]
    assert kite_login.remind_expiring(runtime, reminded) == []
    assert [e.topic for e in seen if e.topic.startswith("broker.")] == ["broker.token_expiring"]
