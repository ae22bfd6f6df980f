"""What each API call sends and how its answer is read, shared by the sync and async clients."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from desk.api.schemas.audit import AuditEventOut, VerifyOut
from desk.api.schemas.credentials import BrokerCredentialOut, LlmCredentialOut
from desk.api.schemas.health import HealthOut
from desk.api.schemas.users import LinkCodeOut, MeOut, TokenCreated, TokenOut, UserOut
from desk.client.listing import EventPage, Listing

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

API = "/api/v1"


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: dict[str, Any] | None = None
    body: Any = None
    idempotency_key: str | None = None
    accept: frozenset[int] = field(default_factory=frozenset)
    """Error statuses that still carry a normal answer (``/health/`` answers 503)."""
    keyed: bool = False
    """The service replays this POST by its ``Idempotency-Key``: the client sends one (its
    own when the caller gives none), which makes the POST safe to retry."""

    def with_key(self) -> Call[T]:
        """This call with an ``Idempotency-Key`` when it is keyed and has none yet."""
        if not self.keyed or self.idempotency_key is not None:
            return self
        return replace(self, idempotency_key=f"desk-client-{uuid.uuid4().hex}")


def _model(model: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: model.model_validate(response.json())


def _listing(model: type[M]) -> Callable[[httpx.Response], Listing[M]]:
    return lambda response: Listing.parse(model, response.json())


def _nothing(_: httpx.Response) -> None:
    return None


def _seg(value: str) -> str:
    return quote(value, safe="")


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _paging(page: int, page_size: int, **extra: Any) -> dict[str, Any]:
    return _drop_none({"page": page, "page_size": page_size, **extra})


def health() -> Call[HealthOut]:
    return Call("GET", "/health/", _model(HealthOut), accept=frozenset({503}))


def me() -> Call[MeOut]:
    return Call("GET", f"{API}/me/", _model(MeOut))


# --- users ------------------------------------------------------------------------------


def list_users(page: int, page_size: int) -> Call[Listing[UserOut]]:
    return Call("GET", f"{API}/users/", _listing(UserOut), params=_paging(page, page_size))


def create_user(
    username: str, role: str, display_name: str | None, key: str | None
) -> Call[UserOut]:
    body = _drop_none({"username": username, "role": role, "display_name": display_name})
    return Call(
        "POST", f"{API}/users/", _model(UserOut), body=body, idempotency_key=key, keyed=True
    )


def get_user(ref: str) -> Call[UserOut]:
    return Call("GET", f"{API}/users/{_seg(ref)}/", _model(UserOut))


def update_user(ref: str, role: str | None, is_active: bool | None) -> Call[UserOut]:
    body = _drop_none({"role": role, "is_active": is_active})
    return Call("PATCH", f"{API}/users/{_seg(ref)}/", _model(UserOut), body=body)


def set_telegram_chat(ref: str, chat_id: int) -> Call[UserOut]:
    path = f"{API}/users/{_seg(ref)}/telegram-chat/"
    return Call("PUT", path, _model(UserOut), body={"chat_id": chat_id})


def unlink_telegram_chat(ref: str) -> Call[UserOut]:
    return Call("DELETE", f"{API}/users/{_seg(ref)}/telegram-chat/", _model(UserOut))


# --- tokens and link codes ----------------------------------------------------------------


def list_tokens(user: str | None, page: int, page_size: int) -> Call[Listing[TokenOut]]:
    params = _paging(page, page_size, user=user)
    return Call("GET", f"{API}/tokens/", _listing(TokenOut), params=params)


def create_token(
    name: str, user: str | None, expires_days: int | None, key: str | None
) -> Call[TokenCreated]:
    body = _drop_none({"name": name, "user": user, "expires_days": expires_days})
    return Call(
        "POST", f"{API}/tokens/", _model(TokenCreated), body=body, idempotency_key=key, keyed=True
    )


def revoke_token(token_id: str) -> Call[TokenOut]:
    return Call("DELETE", f"{API}/tokens/{_seg(token_id)}/", _model(TokenOut))


def create_link_code(user: str | None) -> Call[LinkCodeOut]:
    body = _drop_none({"user": user})
    return Call("POST", f"{API}/telegram/link-codes/", _model(LinkCodeOut), body=body)


# --- credentials ------------------------------------------------------------------------

BROKER = f"{API}/broker-credentials"
LLM = f"{API}/llm-credentials"


def list_broker_credentials(page: int, page_size: int) -> Call[Listing[BrokerCredentialOut]]:
    return Call("GET", f"{BROKER}/", _listing(BrokerCredentialOut), params=_paging(page, page_size))


def add_broker_credential(
    api_key: str, api_secret: str, label: str, key: str | None
) -> Call[BrokerCredentialOut]:
    body = {"api_key": api_key, "api_secret": api_secret, "label": label}
    return Call(
        "POST",
        f"{BROKER}/",
        _model(BrokerCredentialOut),
        body=body,
        idempotency_key=key,
        keyed=True,
    )


def get_broker_credential(credential_id: str) -> Call[BrokerCredentialOut]:
    return Call("GET", f"{BROKER}/{_seg(credential_id)}/", _model(BrokerCredentialOut))


def update_broker_credential(
    credential_id: str,
    label: str | None,
    api_key: str | None,
    api_secret: str | None,
    is_active: bool | None,
) -> Call[BrokerCredentialOut]:
    body = _drop_none(
        {"label": label, "api_key": api_key, "api_secret": api_secret, "is_active": is_active}
    )
    path = f"{BROKER}/{_seg(credential_id)}/"
    return Call("PATCH", path, _model(BrokerCredentialOut), body=body)


def delete_broker_credential(credential_id: str) -> Call[None]:
    return Call("DELETE", f"{BROKER}/{_seg(credential_id)}/", _nothing)


def list_llm_credentials(page: int, page_size: int) -> Call[Listing[LlmCredentialOut]]:
    return Call("GET", f"{LLM}/", _listing(LlmCredentialOut), params=_paging(page, page_size))


def add_llm_credential(
    api_key: str, label: str, activate: bool, key: str | None
) -> Call[LlmCredentialOut]:
    body = {"api_key": api_key, "label": label, "activate": activate}
    return Call(
        "POST", f"{LLM}/", _model(LlmCredentialOut), body=body, idempotency_key=key, keyed=True
    )


def update_llm_credential(credential_id: str, is_active: bool) -> Call[LlmCredentialOut]:
    path = f"{LLM}/{_seg(credential_id)}/"
    return Call("PATCH", path, _model(LlmCredentialOut), body={"is_active": is_active})


def delete_llm_credential(credential_id: str) -> Call[None]:
    return Call("DELETE", f"{LLM}/{_seg(credential_id)}/", _nothing)


# --- audit ------------------------------------------------------------------------------


def _event_page(response: httpx.Response) -> EventPage[AuditEventOut]:
    body = response.json()
    return EventPage(
        model=AuditEventOut,
        results=[AuditEventOut.model_validate(e) for e in body["results"]],
        next_before_seq=body.get("next_before_seq"),
    )


def audit_events(
    limit: int, before_seq: int | None, action: str | None, subject_id: str | None
) -> Call[EventPage[AuditEventOut]]:
    params = _drop_none(
        {"limit": limit, "before_seq": before_seq, "action": action, "subject_id": subject_id}
    )
    return Call("GET", f"{API}/audit/events/", _event_page, params=params)


def verify_audit(expected_head: str | None) -> Call[VerifyOut]:
    body = _drop_none({"expected_head": expected_head})
    return Call("POST", f"{API}/audit/verify/", _model(VerifyOut), body=body)


def export_audit_path() -> str:
    return f"{API}/audit/export/"
