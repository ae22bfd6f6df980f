"""An in-memory ApprovalDesk for the bot tests: users, link codes, requests with a quorum."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from desk.domain.clock import FixedClock
from desk.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from desk.domain.telegram import (
    AmbiguousRequestError,
    DecisionOutcome,
    DecisionRecord,
    LinkCodeError,
    RequestStatus,
    RequestSummary,
    TgDecision,
    TgUser,
)


@dataclass
class FakeRequest:
    id: str
    approvers: frozenset[str]
    quorum: int
    created_at: datetime
    expires_at: datetime
    instrument: str = "NSE:INFY"
    side: str = "buy"
    quantity: int = 10
    price: Decimal = Decimal("1520.50")
    agent_name: str = "momentum"
    state: str = "pending"
    decisions: list[tuple[str, DecisionRecord]] = field(default_factory=list)
    order_status: str | None = None
    proposer: str | None = None  # may see the request, never decide it


@dataclass
class FakeUser:
    user_id: str
    username: str
    display_name: str
    chat_id: int | None = None


class FakeApprovalDesk:
    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.users: dict[str, FakeUser] = {}
        self.codes: dict[str, str] = {}
        self.requests: dict[str, FakeRequest] = {}
        self.transitions: list[tuple[str, str, str]] = []  # (request id, from, to)
        self.calls: list[str] = []

    # -- set-up helpers ---------------------------------------------------------------------
    def add_user(self, user_id: str, username: str, chat_id: int | None = None) -> FakeUser:
        user = FakeUser(user_id, username, username.capitalize(), chat_id)
        self.users[user_id] = user
        return user

    def add_request(
        self, request_id: str, approvers: set[str], quorum: int = 2, proposer: str | None = None
    ) -> FakeRequest:
        now = self.clock.now()
        request = FakeRequest(
            id=request_id,
            approvers=frozenset(approvers),
            quorum=quorum,
            created_at=now + timedelta(seconds=len(self.requests)),
            expires_at=now + timedelta(minutes=30),
            proposer=proposer,
        )
        self.requests[request_id] = request
        return request

    def tg_user(self, user_id: str) -> TgUser:
        u = self.users[user_id]
        assert u.chat_id is not None
        return TgUser(u.user_id, u.username, u.display_name, u.chat_id)

    def summary(self, r: FakeRequest) -> RequestSummary:
        approvals = sum(1 for _, d in r.decisions if d.decision is TgDecision.APPROVE)
        return RequestSummary(
            id=r.id,
            agent_name=r.agent_name,
            kind="trade",
            instrument=r.instrument,
            side=r.side,
            quantity=r.quantity,
            price=r.price,
            value_paise=int(r.price * r.quantity * 100),
            rationale_summary="Breakout above 1,500 on volume <strong>",
            risk_summary="Within limits: 1.5% of capital",
            quorum_progress=f"{approvals} of {r.quorum}",
            created_at=r.created_at,
            expires_at=r.expires_at,
        )

    # -- the port ---------------------------------------------------------------------------
    async def user_for_chat(self, chat_id: int) -> TgUser | None:
        self.calls.append("user_for_chat")
        for u in self.users.values():
            if u.chat_id == chat_id:
                return self.tg_user(u.user_id)
        return None

    async def link(self, code: str, chat_id: int) -> TgUser:
        self.calls.append("link")
        user_id = self.codes.pop(code, None)
        if user_id is None:
            raise LinkCodeError("That link code is unknown or was already used; ask for a new one.")
        if any(u.chat_id == chat_id and u.user_id != user_id for u in self.users.values()):
            raise ConflictError("This chat is already linked to another Desk user.")
        self.users[user_id].chat_id = chat_id
        return self.tg_user(user_id)

    async def pending(self, user: TgUser, limit: int) -> list[RequestSummary]:
        self.calls.append("pending")
        mine = [
            r
            for r in self.requests.values()
            if r.state == "pending"
            and user.user_id in r.approvers
            and all(uid != user.user_id for uid, _ in r.decisions)
        ]
        mine.sort(key=lambda r: r.created_at)
        return [self.summary(r) for r in mine[:limit]]

    def _resolve(self, user: TgUser, ref: str) -> FakeRequest:
        visible = [
            r
            for r in self.requests.values()
            if user.user_id in r.approvers or user.user_id == r.proposer
        ]
        matches = [r for r in visible if r.id.startswith(ref)]
        if not matches:
            raise NotFoundError(f"No request {ref!r} that you can see.", fields={"id": "unknown"})
        if len(matches) > 1:
            raise AmbiguousRequestError(
                f"{ref!r} matches {len(matches)} requests; give more characters.",
                fields={"id": "ambiguous"},
            )
        return matches[0]

    async def status(self, user: TgUser, request_ref: str) -> RequestStatus:
        self.calls.append("status")
        r = self._resolve(user, request_ref)
        return RequestStatus(
            request=self.summary(r),
            state=r.state,
            escalated=False,
            decisions=tuple(d for _, d in r.decisions),
            order_status=r.order_status,
        )

    async def decide(
        self, user: TgUser, request_ref: str, decision: TgDecision, reason: str | None
    ) -> DecisionOutcome:
        self.calls.append("decide")
        r = self._resolve(user, request_ref)
        if user.user_id not in r.approvers:
            raise PermissionDeniedError("You are not allowed to decide this request.")
        if r.state != "pending":
            raise ConflictError(f"Request {r.id[:8]} is already {r.state}; nothing was changed.")
        if any(uid == user.user_id for uid, _ in r.decisions):
            raise ConflictError("You have already decided on this request.")
        if decision is TgDecision.REJECT and not reason:
            raise ValidationError("A rejection needs a reason.", fields={"reason": "required"})
        record = DecisionRecord(user.username, self.clock.now(), "telegram", decision, reason)
        r.decisions.append((user.user_id, record))
        approvals = sum(1 for _, d in r.decisions if d.decision is TgDecision.APPROVE)
        if decision is TgDecision.REJECT:
            self._move(r, "rejected")
            message = "Rejected."
        elif approvals >= r.quorum:
            self._move(r, "approved")
            message = "Approved: quorum reached."
        else:
            message = f"Your approval is recorded ({approvals} of {r.quorum})."
        return DecisionOutcome(r.id, r.state, f"{approvals} of {r.quorum}", message)

    def _move(self, r: FakeRequest, to: str) -> None:
        self.transitions.append((r.id, r.state, to))
        r.state = to
