"""``AsyncDesk``: the asyncio client (httpx). Same methods as ``Desk``, awaited."""

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
from desk.client.desk_methods_aio import AsyncDeskMethods
from desk.client.errors import connection_error, error_from_response
from desk.client.listing import EventPage, Listing
from desk.client.retry import RetryPolicy

T = TypeVar("T")


class AsyncDesk(AsyncDeskMethods):
    """``async with AsyncDesk(url, token) as desk: await desk.me()``. Retries as ``Desk``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        channel: str = "api",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.retry = RetryPolicy(attempts=retries, backoff=backoff)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=base_headers(token, channel),
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncDesk({self.url!r})"

    async def _send(self, call: Call[T]) -> T:
        try:
            response = await self._http.request(call.method, call.path, **request_args(call))
        except httpx.TransportError as exc:
            raise connection_error(exc, self.url) from exc
        return call.read(check(call, response))

    async def _run(self, call: Call[T]) -> T:
        call = call.with_key()  # one key for every attempt: a retry is a replay
        keyed = call.keyed and call.idempotency_key is not None
        async for attempt in self.retry.asynchronous(call.method, keyed=keyed):
            with attempt:
                return await self._send(call)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- service ------------------------------------------------------------------------

    async def health(self) -> HealthOut:
        return await self._run(calls.health())

    async def me(self) -> MeOut:
        return await self._run(calls.me())

    # --- users (admin) --------------------------------------------------------------------

    async def list_users(self, *, page: int = 1, page_size: int = 20) -> Listing[UserOut]:
        return await self._run(calls.list_users(page, page_size))

    async def create_user(
        self,
        username: str,
        *,
        role: str = "member",
        display_name: str | None = None,
        idempotency_key: str | None = None,
    ) -> UserOut:
        return await self._run(calls.create_user(username, role, display_name, idempotency_key))

    async def get_user(self, user: str) -> UserOut:
        return await self._run(calls.get_user(user))

    async def update_user(
        self, user: str, *, role: str | None = None, is_active: bool | None = None
    ) -> UserOut:
        return await self._run(calls.update_user(user, role, is_active))

    async def set_telegram_chat(self, user: str, chat_id: int) -> UserOut:
        return await self._run(calls.set_telegram_chat(user, chat_id))

    async def unlink_telegram_chat(self, user: str) -> UserOut:
        return await self._run(calls.unlink_telegram_chat(user))

    # --- tokens and link codes ----------------------------------------------------------

    async def list_tokens(
        self, *, user: str | None = None, page: int = 1, page_size: int = 20
    ) -> Listing[TokenOut]:
        return await self._run(calls.list_tokens(user, page, page_size))

    async def create_token(
        self,
        name: str = "default",
        *,
        user: str | None = None,
        expires_days: int | None = None,
        idempotency_key: str | None = None,
    ) -> TokenCreated:
        return await self._run(calls.create_token(name, user, expires_days, idempotency_key))

    async def revoke_token(self, token_id: str) -> TokenOut:
        return await self._run(calls.revoke_token(token_id))

    async def create_link_code(self, *, user: str | None = None) -> LinkCodeOut:
        return await self._run(calls.create_link_code(user))

    # --- credentials ----------------------------------------------------------------------

    async def list_broker_credentials(
        self, *, page: int = 1, page_size: int = 20
    ) -> Listing[BrokerCredentialOut]:
        return await self._run(calls.list_broker_credentials(page, page_size))

    async def add_broker_credential(
        self,
        api_key: str,
        api_secret: str,
        *,
        label: str = "kite",
        idempotency_key: str | None = None,
    ) -> BrokerCredentialOut:
        call = calls.add_broker_credential(api_key, api_secret, label, idempotency_key)
        return await self._run(call)

    async def get_broker_credential(self, credential_id: str) -> BrokerCredentialOut:
        return await self._run(calls.get_broker_credential(credential_id))

    async def update_broker_credential(
        self,
        credential_id: str,
        *,
        label: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        is_active: bool | None = None,
    ) -> BrokerCredentialOut:
        call = calls.update_broker_credential(credential_id, label, api_key, api_secret, is_active)
        return await self._run(call)

    async def delete_broker_credential(self, credential_id: str) -> None:
        await self._run(calls.delete_broker_credential(credential_id))

    async def list_llm_credentials(
        self, *, page: int = 1, page_size: int = 20
    ) -> Listing[LlmCredentialOut]:
        return await self._run(calls.list_llm_credentials(page, page_size))

    async def add_llm_credential(
        self,
        api_key: str,
        *,
        label: str = "default",
        activate: bool = True,
        idempotency_key: str | None = None,
    ) -> LlmCredentialOut:
        return await self._run(calls.add_llm_credential(api_key, label, activate, idempotency_key))

    async def update_llm_credential(
        self, credential_id: str, *, is_active: bool
    ) -> LlmCredentialOut:
        return await self._run(calls.update_llm_credential(credential_id, is_active))

    async def delete_llm_credential(self, credential_id: str) -> None:
        await self._run(calls.delete_llm_credential(credential_id))

    # --- audit (admin) --------------------------------------------------------------------

    async def audit_events(
        self,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        action: str | None = None,
        subject_id: str | None = None,
    ) -> EventPage[AuditEventOut]:
        return await self._run(calls.audit_events(limit, before_seq, action, subject_id))

    async def verify_audit(self, *, expected_head: str | None = None) -> VerifyOut:
        return await self._run(calls.verify_audit(expected_head))

    async def export_audit(
        self, path: str | Path, *, fmt: Literal["parquet", "jsonl"] = "parquet"
    ) -> Path:
        """Stream every audit event into ``path`` (written whole or not at all)."""
        target = Path(path)
        async for attempt in self.retry.asynchronous("GET"):
            with attempt:
                await self._download(calls.export_audit_path(), {"format": fmt}, target)
        return target

    async def _download(self, url: str, params: dict[str, str], target: Path) -> None:
        tmp = partial_path(target)
        try:
            async with self._http.stream("GET", url, params=params) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response)
                with tmp.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            tmp.unlink(missing_ok=True)
            raise connection_error(exc, self.url) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(target)
