"""The Kite login exchange (request_token → access_token) as the services need it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from desk.domain.broker import BrokerSession


class KiteLogin(Protocol):
    def login_url(self) -> str: ...

    def generate_session(self, request_token: str, api_secret: str) -> BrokerSession: ...


#: Builds a login client for an app's api_key (``KiteBroker`` in production, pointed at
#: ``DESK_KITE_ROOT``; the fake Kite server in tests).
KiteLoginFactory = Callable[[str], KiteLogin]
