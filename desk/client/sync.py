"""``Desk``: the synchronous client (httpx). Methods mirror the API routes."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Literal, Self, TypeVar

import httpx

from desk.api.schemas.audit import AuditEventOut, VerifyOut
from desk.api.schemas.credentials import BrokerCredentialOut, LlmCredentialOut
from desk.api.schemas.health import HealthOut
from desk.api.schemas.users import LinkCodeOut, MeOut, TokenCreated, TokenOut, UserOut
from desk.client import calls
from desk.client.base import base_headers, check, partial_path, request_args
from desk.client.calls import Call
from desk.client.desk_methods import DeskMethods
from desk.client.errors import connection_error, error_from_response
from desk.client.listing import EventPage, Listing
from desk.client.retry import RetryPolicy

T = TypeVar("T")


class Desk(DeskMethods):
    """``Desk("http://127.0.0.1:8000", token)``; use as a context manager or call ``close()``.

    GETs are retried (connection failures, 5xx) ``retries`` times with exponential backoff.
    POSTs that the service replays by ``Idempotency-Key`` (creating agents, versions, users,
    tokens, credentials and proposals, ``analyze``, ``decide``) carry a key (the caller's, or
    a fresh one per call) and are retried on connection failures and 502/503/504 with that
    same key; other methods are sent once. Errors raise :class:`desk.client.DeskApiError`
    subclasses.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        channel: str = "api",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.retry = RetryPolicy(attempts=retries, backoff=backoff)
        self._http = httpx.Client(
            base_url=self.url,
            headers=base_headers(token, channel),
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Desk({self.url!r})"

    def _send(self, call: Call[T]) -> T:
        try:
            response = self._http.request(call.method, call.path, **request_args(call))
        except httpx.TransportError as exc:
            raise connection_error(exc, self.url) from exc
        return call.read(check(call, response))

    def _run(self, call: Call[T]) -> T:
        call = call.with_key()  # one key for every attempt: a retry is a replay
        keyed = call.keyed and call.idempotency_key is not None
        for attempt in self.retry.sync(call.method, keyed=keyed):
            with attempt:
                return self._send(call)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- service ------------------------------------------------------------------------

    def health(self) -> HealthOut:
        return self._run(calls.health())

    def me(self) -> MeOut:
        return self._run(calls.me())

    # --- users (admin) --------------------------------------------------------------------

    def list_users(self, *, page: int = 1, page_size: int = 20) -> Listing[UserOut]:
        return self._run(calls.list_users(page, page_size))

    def create_user(
        self,
        username: str,
        *,
        role: str = "member",
        display_name: str | None = None,
        idempotency_key: str | None = None,
    ) -> UserOut:
        return self._run(calls.create_user(username, role, display_name, idempotency_key))

    def get_user(self, user: str) -> UserOut:
        return self._run(calls.get_user(user))

    def update_user(
        self, user: str, *, role: str | None = None, is_active: bool | None = None
    ) -> UserOut:
        return self._run(calls.update_user(user, role, is_active))

    def set_telegram_chat(self, user: str, chat_id: int) -> UserOut:
        return self._run(calls.set_telegram_chat(user, chat_id))

    def unlink_telegram_chat(self, user: str) -> UserOut:
        return self._run(calls.unlink_telegram_chat(user))

    # --- tokens and link codes ----------------------------------------------------------

    def list_tokens(
        self, *, user: str | None = None, page: int = 1, page_size: int = 20
    ) -> Listing[TokenOut]:
        return self._run(calls.list_tokens(user, page, page_size))

    def create_token(
        self,
        name: str = "default",
        *,
        user: str | None = None,
        expires_days: int | None = None,
        idempotency_key: str | None = None,
    ) -> TokenCreated:
        return self._run(calls.create_token(name, user, expires_days, idempotency_key))

    def revoke_token(self, token_id: str) -> TokenOut:
        return self._run(calls.revoke_token(token_id))

    def create_link_code(self, *, user: str | None = None) -> LinkCodeOut:
        return self._run(calls.create_link_code(user))

    # --- credentials ----------------------------------------------------------------------

    def list_broker_credentials(
        self, *, page: int = 1, page_size: int = 20
    ) -> Listing[BrokerCredentialOut]:
        return self._run(calls.list_broker_credentials(page, page_size))

    def add_broker_credential(
        self,
        api_key: str,
        api_secret: str,
        *,
        label: str = "kite",
        idempotency_key: str | None = None,
    ) -> BrokerCredentialOut:
        call = calls.add_broker_credential(api_key, api_secret, label, idempotency_key)
        return self._run(call)

    def get_broker_credential(self, credential_id: str) -> BrokerCredentialOut:
        return self._run(calls.get_broker_credential(credential_id))

    def update_broker_credential(
        self,
        credential_id: str,
        *,
        label: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        is_active: bool | None = None,
    ) -> BrokerCredentialOut:
        call = calls.update_broker_credential(credential_id, label, api_key, api_secret, is_active)
        return self._run(call)

    def delete_broker_credential(self, credential_id: str) -> None:
        self._run(calls.delete_broker_credential(credential_id))

    def list_llm_credentials(
        self, *, page: int = 1, page_size: int = 20
    ) -> Listing[LlmCredentialOut]:
        return self._run(calls.list_llm_credentials(page, page_size))

    def add_llm_credential(
        self,
        api_key: str,
        *,
        label: str = "default",
        activate: bool = True,
        idempotency_key: str | None = None,
    ) -> LlmCredentialOut:
        return self._run(calls.add_llm_credential(api_key, label, activate, idempotency_key))

    def update_llm_credential(self, credential_id: str, *, is_active: bool) -> LlmCredentialOut:
        return self._run(calls.update_llm_credential(credential_id, is_active))

    def delete_llm_credential(self, credential_id: str) -> None:
        self._run(calls.delete_llm_credential(credential_id))

    # --- audit (admin) --------------------------------------------------------------------

    def audit_events(
        self,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        action: str | None = None,
        subject_id: str | None = None,
    ) -> EventPage[AuditEventOut]:
        return self._run(calls.audit_events(limit, before_seq, action, subject_id))

    def verify_audit(self, *, expected_head: str | None = None) -> VerifyOut:
        return self._run(calls.verify_audit(expected_head))

    def export_audit(
        self, path: str | Path, *, fmt: Literal["parquet", "jsonl"] = "parquet"
    ) -> Path:
        """Stream every audit event into ``path`` (written whole or not at all)."""
        target = Path(path)
        for attempt in self.retry.sync("GET"):
            with attempt:
                self._download(calls.export_audit_path(), {"format": fmt}, target)
        return target

    def _download(self, url: str, params: dict[str, str], target: Path) -> None:
        tmp = partial_path(target)
        try:
            with self._http.stream("GET", url, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response)
                with tmp.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            tmp.unlink(missing_ok=True)
            raise connection_error(exc, self.url) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(target)
