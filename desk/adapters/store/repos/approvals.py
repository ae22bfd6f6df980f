"""Approval requests, their eligibility rows and decisions; idempotency keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from desk.adapters.store.tables import (
    approval_decisions,
    approval_request_members,
    approval_requests,
    idempotency_keys,
)
from desk.domain.agents import TimeoutPolicy
from desk.domain.approval_model import (
    ApprovalRequest,
    Decision,
    RequestKind,
    RequestState,
    Verdict,
)
from desk.domain.errors import ConcurrencyError
from desk.domain.users import Channel

R = approval_requests
M = approval_request_members
D = approval_decisions


def _request(row: Any) -> ApprovalRequest:
    return ApprovalRequest(
        id=row.id,
        kind=RequestKind(row.kind),
        agent_id=row.agent_id,
        subject_id=row.subject_id,
        proposer_id=row.proposer_id,
        state=RequestState(row.state),
        escalated=row.escalated,
        escalated_at=row.escalated_at,
        quorum=row.quorum,
        reject_quorum=row.reject_quorum,
        allow_self_approval=row.allow_self_approval,
        eligible_approver_ids=tuple(row.eligible_approver_ids),
        escalation_approver_ids=tuple(row.escalation_approver_ids),
        approval_channels=tuple(Channel(c) for c in row.approval_channels),
        timeout_policy=TimeoutPolicy(row.timeout_policy),
        escalation_grace_minutes=row.escalation_grace_minutes,
        created_at=row.created_at,
        expires_at=row.expires_at,
        decided_at=row.decided_at,
        state_reason=row.state_reason,
        version=row.version,
    )


def _decision(row: Any) -> Decision:
    return Decision(
        request_id=row.request_id,
        approver_id=row.approver_id,
        decision=Verdict(row.decision),
        reason=row.reason,
        channel=Channel(row.channel),
        decided_at=row.decided_at,
    )


def _values(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "state": request.state.value,
        "escalated": request.escalated,
        "escalated_at": request.escalated_at,
        "expires_at": request.expires_at,
        "decided_at": request.decided_at,
        "state_reason": request.state_reason[:500] if request.state_reason else None,
        "version": request.version,
    }


class SqlApprovalRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, request: ApprovalRequest, details: Mapping[str, Any], now: datetime) -> None:
        self._conn.execute(
            R.insert().values(
                id=request.id,
                kind=request.kind.value,
                agent_id=request.agent_id,
                subject_id=request.subject_id,
                proposer_id=request.proposer_id,
                quorum=request.quorum,
                reject_quorum=request.reject_quorum,
                allow_self_approval=request.allow_self_approval,
                eligible_approver_ids=list(request.eligible_approver_ids),
                escalation_approver_ids=list(request.escalation_approver_ids),
                approval_channels=[c.value for c in request.approval_channels],
                timeout_policy=request.timeout_policy.value,
                escalation_grace_minutes=request.escalation_grace_minutes,
                created_at=request.created_at,
                details=dict(details),
                updated_at=now,
                **_values(request),
            )
        )
        rows = [{"request_id": request.id, "user_id": u, "role": "eligible"}
                for u in request.eligible_approver_ids]  # fmt: skip
        rows += [{"request_id": request.id, "user_id": u, "role": "escalation"}
                 for u in request.escalation_approver_ids]  # fmt: skip
        if rows:
            self._conn.execute(M.insert(), rows)

    def get(self, request_id: str) -> ApprovalRequest | None:
        row = self._conn.execute(sa.select(R).where(R.c.id == request_id)).first()
        return _request(row) if row is not None else None

    def details(self, request_id: str) -> dict[str, Any]:
        value = self._conn.execute(sa.select(R.c.details).where(R.c.id == request_id)).scalar()
        return dict(value or {})

    def details_for(self, request_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not request_ids:
            return {}
        rows = self._conn.execute(
            sa.select(R.c.id, R.c.details).where(R.c.id.in_(list(request_ids)))
        )
        return {r.id: dict(r.details or {}) for r in rows}

    def find_by_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        rows = self._conn.execute(
            sa.select(R.c.id).where(R.c.id.startswith(prefix, autoescape=True)).limit(limit)
        )
        return [r.id for r in rows]

    def save(self, request: ApprovalRequest, *, expected_version: int, now: datetime) -> bool:
        """Conditional update: only when nobody moved the request since it was read."""
        result = self._conn.execute(
            R.update()
            .where(R.c.id == request.id, R.c.version == expected_version)
            .values(updated_at=now, **_values(request))
        )
        return result.rowcount == 1

    def add_decision(self, decision: Decision) -> None:
        self._conn.execute(
            D.insert().values(
                request_id=decision.request_id,
                approver_id=decision.approver_id,
                decision=decision.decision.value,
                reason=decision.reason,
                channel=decision.channel.value,
                decided_at=decision.decided_at,
            )
        )

    def decisions(self, request_id: str) -> list[Decision]:
        rows = self._conn.execute(
            sa.select(D).where(D.c.request_id == request_id).order_by(D.c.decided_at)
        )
        return [_decision(r) for r in rows]

    def decisions_for(self, request_ids: Sequence[str]) -> dict[str, list[Decision]]:
        result: dict[str, list[Decision]] = {i: [] for i in request_ids}
        if not request_ids:
            return result
        rows = self._conn.execute(
            sa.select(D).where(D.c.request_id.in_(list(request_ids))).order_by(D.c.decided_at)
        )
        for row in rows:
            result[row.request_id].append(_decision(row))
        return result

    def pending_for_subject(self, kind: RequestKind, subject_id: str) -> list[ApprovalRequest]:
        rows = self._conn.execute(
            sa.select(R).where(
                R.c.kind == kind.value,
                R.c.subject_id == subject_id,
                R.c.state == RequestState.PENDING.value,
            )
        )
        return [_request(r) for r in rows]

    def search(
        self,
        *,
        states: Sequence[RequestState] = (),
        kind: RequestKind | None = None,
        agent_ids: Sequence[str] | None = None,
        agent_id: str | None = None,
        visible_to: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[ApprovalRequest], int]:
        """A page of requests (newest first) and the total count."""
        clauses: list[sa.ColumnElement[bool]] = []
        if states:
            clauses.append(R.c.state.in_([s.value for s in states]))
        if kind is not None:
            clauses.append(R.c.kind == kind.value)
        if agent_id is not None:
            clauses.append(R.c.agent_id == agent_id)
        if visible_to is not None:
            mine = sa.select(M.c.request_id).where(M.c.user_id == visible_to)
            visible = [R.c.proposer_id == visible_to, R.c.id.in_(mine)]
            if agent_ids:
                visible.append(R.c.agent_id.in_(list(agent_ids)))
            clauses.append(sa.or_(*visible))
        total = self._conn.execute(
            sa.select(sa.func.count()).select_from(R).where(*clauses)
        ).scalar_one()
        rows = self._conn.execute(
            sa.select(R).where(*clauses).order_by(R.c.created_at.desc(), R.c.id)
            .limit(limit).offset(offset)
        )  # fmt: skip
        return [_request(r) for r in rows], int(total)

    def decidable_by(self, user_id: str, *, limit: int) -> list[ApprovalRequest]:
        """Pending requests where the user is in the snapshot (or escalation, once escalated)
        and has not decided yet, oldest first. The domain re-checks every rule."""
        decided = sa.select(D.c.request_id).where(D.c.approver_id == user_id)
        eligible = sa.select(M.c.request_id).where(M.c.user_id == user_id, M.c.role == "eligible")
        escalation = sa.select(M.c.request_id).where(
            M.c.user_id == user_id, M.c.role == "escalation"
        )
        rows = self._conn.execute(
            sa.select(R)
            .where(
                R.c.state == RequestState.PENDING.value,
                sa.or_(R.c.id.in_(eligible), sa.and_(R.c.escalated, R.c.id.in_(escalation))),
                R.c.id.not_in(decided),
                sa.or_(R.c.proposer_id != user_id, R.c.allow_self_approval),
            )
            .order_by(R.c.created_at, R.c.id)
            .limit(limit)
        )
        return [_request(r) for r in rows]

    def due_for_timeout(self, now: datetime, *, limit: int = 500) -> list[ApprovalRequest]:
        rows = self._conn.execute(
            sa.select(R)
            .where(R.c.state == RequestState.PENDING.value, R.c.expires_at <= now)
            .order_by(R.c.expires_at)
            .limit(limit)
        )
        return [_request(r) for r in rows]


class SqlIdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, scope: str, key: str) -> tuple[str, str, dict[str, Any]] | None:
        t = idempotency_keys
        row = self._conn.execute(
            sa.select(t.c.operation, t.c.fingerprint, t.c.result).where(
                t.c.scope == scope, t.c.key == key
            )
        ).first()
        return (row.operation, row.fingerprint, dict(row.result)) if row is not None else None

    def put(
        self,
        scope: str,
        key: str,
        *,
        operation: str,
        fingerprint: str,
        result: Mapping[str, Any],
        now: datetime,
    ) -> None:
        try:
            self._conn.execute(
                idempotency_keys.insert().values(
                    scope=scope,
                    key=key,
                    operation=operation,
                    fingerprint=fingerprint,
                    result=dict(result),
                    created_at=now,
                )
            )
        except sa_exc.IntegrityError as error:  # a concurrent first use of the key committed
            raise ConcurrencyError("this Idempotency-Key is being used concurrently") from error

    def finish(self, scope: str, key: str, result: Mapping[str, Any]) -> None:
        t = idempotency_keys
        self._conn.execute(
            t.update().where(t.c.scope == scope, t.c.key == key).values(result=dict(result))
        )

    def purge(self, before: datetime) -> int:
        t = idempotency_keys
        return int(self._conn.execute(t.delete().where(t.c.created_at < before)).rowcount or 0)
