"""Kite Connect: the login URL, the login redirect, and order postbacks.

The redirect (``/kite/callback/``) needs a bearer token: Kite's redirect carries only a
one-time ``request_token``, which is not bound to a desk user, so the desk owner (or the
dashboard/CLI on their behalf) passes the redirect URL's ``request_token`` with their token.
The postback needs no token: its checksum (sha256 of order_id + order_timestamp + the app's
api_secret) proves Kite sent it; a wrong checksum is a 401, audited, and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from desk.api.deps import ActorDep, RuntimeDep, ServerDep
from desk.api.params import REF_PATTERN
from desk.api.schemas.common import ERROR_RESPONSES
from desk.api.schemas.credentials import BrokerCredentialOut
from desk.api.schemas.trading import PostbackOut
from desk.services import kite_login
from desk.services.ports.kite_session import KiteLogin
from desk.services.postback_intake import receive_postback
from desk.settings import DeskSettings

router = APIRouter(prefix="/api/v1/kite", tags=["kite"], responses=ERROR_RESPONSES)

CredentialQuery = Annotated[
    str, Query(pattern=REF_PATTERN, description="Your broker credential's id.")
]


class LoginUrlOut(BaseModel):
    login_url: str = Field(examples=["https://kite.zerodha.com/connect/login?v=3&api_key=…"])


def _logins(settings: DeskSettings) -> Any:
    from desk.adapters.kite.broker import KiteBroker

    def build(api_key: str) -> KiteLogin:
        return KiteBroker(api_key, root=settings.kite_root)

    return build


@router.get("/login-url/", response_model=LoginUrlOut, summary="Where to log in to Kite")
def login_url(runtime: RuntimeDep, actor: ActorDep, credential_id: CredentialQuery) -> LoginUrlOut:
    url = kite_login.login_url(runtime, actor, credential_id, _logins(runtime.settings))
    return LoginUrlOut(login_url=url)


@router.get(
    "/callback/",
    response_model=BrokerCredentialOut,
    summary="Finish a Kite login with the redirect's request_token (needs your token)",
)
def callback(
    runtime: RuntimeDep,
    actor: ActorDep,
    *,
    credential_id: CredentialQuery,
    request_token: Annotated[
        str, Query(pattern=r"^[A-Za-z0-9]{6,64}$", description="From Kite's redirect URL.")
    ],
    status: Annotated[str | None, Query(max_length=20, description="Kite's; ignored.")] = None,
    action: Annotated[str | None, Query(max_length=20, description="Kite's; ignored.")] = None,
    type_: Annotated[str | None, Query(alias="type", max_length=20)] = None,
) -> BrokerCredentialOut:
    """Exchanges the one-time token for an access token (stored encrypted, expiring at the
    next 06:00 IST). The response is masked."""
    view = kite_login.complete_login(
        runtime, actor, credential_id, request_token, _logins(runtime.settings)
    )
    return BrokerCredentialOut.of(view)


@router.post(
    "/postback/",
    response_model=PostbackOut,
    summary="Kite order postback (no token; checksum verified)",
    openapi_extra={"security": []},
)
def postback(
    runtime: RuntimeDep,
    server: ServerDep,
    payload: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "order_id": "220303000308932",
                    "status": "COMPLETE",
                    "order_timestamp": "2026-11-25 09:35:12",
                    "checksum": "…",
                    "tag": "dkABCDEFGHIJKLMNOPQR",
                    "filled_quantity": 5,
                    "average_price": 1500.5,
                    "user_id": "AB1234",
                }
            ]
        ),
    ],
) -> PostbackOut:
    """Duplicates and stale reports change nothing (`duplicate`); orders the desk did not
    place are acknowledged as `unknown_order`."""
    result = receive_postback(runtime, server.paper.executor, payload)
    return PostbackOut(
        action=result.action.value,
        order_id=result.update.order_id,
        status=result.update.status.value,
    )
