"""The instruments master and trade proposals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from desk.adapters.store.tables import instruments, trade_proposals
from desk.domain.instruments import Instrument
from desk.domain.proposals import ProposalRecord, ProposalStatus

I = instruments  # noqa: E741
P = trade_proposals


def _instrument(row: Any) -> Instrument:
    return Instrument(
        instrument_token=row.instrument_token,
        exchange_token=row.exchange_token,
        tradingsymbol=row.tradingsymbol,
        name=row.name,
        last_price=Decimal(row.last_price),
        expiry=row.expiry,
        strike=Decimal(row.strike),
        tick_size=Decimal(row.tick_size),
        lot_size=row.lot_size,
        instrument_type=row.instrument_type,
        segment=row.segment,
        exchange=row.exchange,
    )


def _proposal(row: Any) -> ProposalRecord:
    return ProposalRecord(
        id=row.id,
        agent_id=row.agent_id,
        run_id=row.run_id,
        proposer_id=row.proposer_id,
        status=ProposalStatus(row.status),
        instrument=row.instrument,
        side=row.side,
        quantity=row.quantity,
        value_paise=row.value_paise,
        ltp_at_creation=Decimal(row.ltp_at_creation) if row.ltp_at_creation is not None else None,
        proposal=dict(row.proposal),
        risk=tuple(row.risk),
        request_id=row.request_id,
        created_at=row.created_at,
    )


class SqlInstrumentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def replace_exchanges(self, items: Sequence[Instrument], now: datetime) -> int:
        """Replace every instrument of the exchanges present in ``items`` (a daily reload)."""
        exchanges = sorted({i.exchange for i in items})
        if exchanges:
            self._conn.execute(I.delete().where(I.c.exchange.in_(exchanges)))
        rows = [
            {
                "exchange": i.exchange, "tradingsymbol": i.tradingsymbol,
                "instrument_token": i.instrument_token, "exchange_token": i.exchange_token,
                "name": i.name[:120], "last_price": i.last_price, "expiry": i.expiry,
                "strike": i.strike, "tick_size": i.tick_size, "lot_size": i.lot_size,
                "instrument_type": i.instrument_type, "segment": i.segment, "updated_at": now,
            }
            for i in items
        ]  # fmt: skip
        for start in range(0, len(rows), 5_000):
            self._conn.execute(I.insert(), rows[start : start + 5_000])
        return len(rows)

    def get(self, exchange: str, tradingsymbol: str) -> Instrument | None:
        row = self._conn.execute(
            sa.select(I).where(I.c.exchange == exchange, I.c.tradingsymbol == tradingsymbol)
        ).first()
        return _instrument(row) if row is not None else None

    def symbols(self, exchange: str, *, prefix: str = "", limit: int = 5_000) -> list[str]:
        query = sa.select(I.c.tradingsymbol).where(I.c.exchange == exchange)
        if prefix:
            query = query.where(I.c.tradingsymbol.startswith(prefix, autoescape=True))
        return [r.tradingsymbol for r in self._conn.execute(query.limit(limit))]

    def count(self) -> int:
        return int(self._conn.execute(sa.select(sa.func.count()).select_from(I)).scalar_one())

    def all(self) -> list[Instrument]:
        return [_instrument(r) for r in self._conn.execute(sa.select(I).order_by(I.c.exchange))]


class SqlProposalRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: ProposalRecord) -> None:
        self._conn.execute(
            P.insert().values(
                id=record.id,
                agent_id=record.agent_id,
                run_id=record.run_id,
                proposer_id=record.proposer_id,
                status=record.status.value,
                instrument=record.instrument,
                side=record.side,
                quantity=record.quantity,
                value_paise=record.value_paise,
                ltp_at_creation=record.ltp_at_creation,
                proposal=record.proposal,
                risk=list(record.risk),
                request_id=record.request_id,
                created_at=record.created_at,
            )
        )

    def get(self, proposal_id: str) -> ProposalRecord | None:
        row = self._conn.execute(sa.select(P).where(P.c.id == proposal_id)).first()
        return _proposal(row) if row is not None else None

    def get_by_request(self, request_id: str) -> ProposalRecord | None:
        row = self._conn.execute(sa.select(P).where(P.c.request_id == request_id)).first()
        return _proposal(row) if row is not None else None

    def set_request(self, proposal_id: str, request_id: str) -> None:
        self._conn.execute(P.update().where(P.c.id == proposal_id).values(request_id=request_id))

    def submitted_since(self, agent_id: str, since: datetime) -> tuple[int, int]:
        """(count, notional paise) of the agent's submitted proposals since ``since``."""
        row = self._conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(P.c.value_paise), 0)).where(
                P.c.agent_id == agent_id,
                P.c.status == ProposalStatus.SUBMITTED.value,
                P.c.created_at >= since,
            )
        ).one()
        return int(row[0]), int(row[1])

    def search(
        self,
        *,
        agent_ids: Sequence[str] | None,
        status: ProposalStatus | None = None,
        run_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[ProposalRecord], int]:
        clauses: list[sa.ColumnElement[bool]] = []
        if agent_ids is not None:
            clauses.append(P.c.agent_id.in_(list(agent_ids)))
        if status is not None:
            clauses.append(P.c.status == status.value)
        if run_id is not None:
            clauses.append(P.c.run_id == run_id)
        total = self._conn.execute(
            sa.select(sa.func.count()).select_from(P).where(*clauses)
        ).scalar_one()
        rows = self._conn.execute(
            sa.select(P).where(*clauses).order_by(P.c.created_at.desc(), P.c.id)
            .limit(limit).offset(offset)
        )  # fmt: skip
        return [_proposal(r) for r in rows], int(total)
