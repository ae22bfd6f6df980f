"""Encrypted broker and LLM credentials (ciphertext in, ciphertext out)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from desk.adapters.store.tables import broker_credentials, llm_credentials
from desk.domain.credentials import (
    BrokerCredentialRecord,
    BrokerKind,
    LlmCredentialRecord,
    LlmProvider,
)


def _broker(row: Any) -> BrokerCredentialRecord:
    return BrokerCredentialRecord(
        id=row.id,
        user_id=row.user_id,
        broker=BrokerKind(row.broker),
        label=row.label,
        api_key_enc=row.api_key_enc,
        api_secret_enc=row.api_secret_enc,
        access_token_enc=row.access_token_enc,
        access_token_expires_at=row.access_token_expires_at,
        broker_user_id=row.broker_user_id,
        api_key_hint=row.api_key_hint,
        key_id=row.key_id,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _llm(row: Any) -> LlmCredentialRecord:
    return LlmCredentialRecord(
        id=row.id,
        user_id=row.user_id,
        provider=LlmProvider(row.provider),
        label=row.label,
        api_key_enc=row.api_key_enc,
        api_key_hint=row.api_key_hint,
        key_id=row.key_id,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(record: BrokerCredentialRecord | LlmCredentialRecord) -> dict[str, Any]:
    values = asdict(record)
    for name in ("broker", "provider"):
        if name in values:
            values[name] = values[name].value
    return values


class SqlCredentialRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- broker ---------------------------------------------------------------------------
    def add_broker(self, record: BrokerCredentialRecord) -> None:
        self._conn.execute(broker_credentials.insert().values(**_values(record)))

    def get_broker(self, credential_id: str) -> BrokerCredentialRecord | None:
        row = self._conn.execute(
            sa.select(broker_credentials).where(broker_credentials.c.id == credential_id)
        ).first()
        return _broker(row) if row is not None else None

    def list_broker(self, user_id: str | None) -> list[BrokerCredentialRecord]:
        query = sa.select(broker_credentials).order_by(
            broker_credentials.c.created_at, broker_credentials.c.id
        )
        if user_id is not None:
            query = query.where(broker_credentials.c.user_id == user_id)
        return [_broker(r) for r in self._conn.execute(query)]

    def update_broker(self, record: BrokerCredentialRecord) -> None:
        values = _values(record)
        values.pop("id")
        self._conn.execute(
            broker_credentials.update().where(broker_credentials.c.id == record.id).values(**values)
        )

    def delete_broker(self, credential_id: str) -> bool:
        result = self._conn.execute(
            broker_credentials.delete().where(broker_credentials.c.id == credential_id)
        )
        return result.rowcount == 1

    # -- llm ------------------------------------------------------------------------------
    def add_llm(self, record: LlmCredentialRecord) -> None:
        self._conn.execute(llm_credentials.insert().values(**_values(record)))

    def get_llm(self, credential_id: str) -> LlmCredentialRecord | None:
        row = self._conn.execute(
            sa.select(llm_credentials).where(llm_credentials.c.id == credential_id)
        ).first()
        return _llm(row) if row is not None else None

    def list_llm(self, user_id: str | None) -> list[LlmCredentialRecord]:
        query = sa.select(llm_credentials).order_by(
            llm_credentials.c.created_at, llm_credentials.c.id
        )
        if user_id is not None:
            query = query.where(llm_credentials.c.user_id == user_id)
        return [_llm(r) for r in self._conn.execute(query)]

    def update_llm(self, record: LlmCredentialRecord) -> None:
        values = _values(record)
        values.pop("id")
        self._conn.execute(
            llm_credentials.update().where(llm_credentials.c.id == record.id).values(**values)
        )

    def deactivate_llm_for_user(self, user_id: str, now: datetime) -> int:
        result = self._conn.execute(
            llm_credentials.update()
            .where(llm_credentials.c.user_id == user_id, llm_credentials.c.is_active.is_(True))
            .values(is_active=False, updated_at=now)
        )
        return int(result.rowcount)

    def delete_llm(self, credential_id: str) -> bool:
        result = self._conn.execute(
            llm_credentials.delete().where(llm_credentials.c.id == credential_id)
        )
        return result.rowcount == 1
