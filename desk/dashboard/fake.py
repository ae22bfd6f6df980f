"""An in-memory ``DashboardApi`` for tests and benchmarks: one ``FakeDesk`` shared by many
signed-in users (each a ``FakeDashboardApi``), with the service's quorum rules in small."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from desk.dashboard.backend import DashboardError, JsonDict
from desk.dashboard.notices import OnNotice

T0 = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)


def trade_request(
    request_id: str,
    *,
    agent_id: str = "a1",
    agent_name: str = "infy-watch",
    approvers: tuple[str, ...] = ("asha", "vikram"),
    quorum: int = 2,
    instrument: str = "NSE:INFY",
    quantity: int = 10,
    price: str | None = "1500.00",
    created_at: datetime = T0,
    timeout: timedelta = timedelta(hours=4),
) -> JsonDict:
    value = int(quantity * float(price or "1500") * 100)
    return {
        "id": request_id,
        "kind": "trade",
        "agent_id": agent_id,
        "agent_name": agent_name,
        "subject_id": f"p-{request_id}",
        "proposer_id": "owner",
        "state": "pending",
        "escalated": False,
        "quorum": quorum,
        "reject_quorum": 1,
        "approvals": 0,
        "eligible_approver_ids": list(approvers),
        "approval_channels": ["dashboard"],
        "created_at": created_at.isoformat(),
        "expires_at": (created_at + timeout).isoformat(),
        "decided_at": None,
        "state_reason": None,
        "summary": {
            "instrument": instrument,
            "side": "BUY",
            "quantity": quantity,
            "price": price,
            "value_paise": value,
            "rationale_summary": "strong results",
            "risk_summary": "7/7 checks passed",
            "quorum_progress": f"0 of {quorum}",
        },
        "decisions": [],
        "risk": [{"name": "max_value", "passed": True, "message": "ok"}],
        "details": {
            "instrument": instrument,
            "side": "BUY",
            "quantity": quantity,
            "price": price,
            "value_paise": value,
            "ltp_at_creation": price,
            "rationale": "Strong results.",
            "evidence": [{"url": "https://example.com/infy", "title": "INFY Q2"}],
        },
        "order": None,
    }


@dataclass
class FakeDesk:
    """The shared world: requests, agents, runs, switches, audit."""

    users: dict[str, JsonDict] = field(default_factory=dict)  # token -> user
    requests: dict[str, JsonDict] = field(default_factory=dict)
    agents: dict[str, JsonDict] = field(default_factory=dict)
    runs: dict[str, list[JsonDict]] = field(default_factory=dict)  # agent -> runs
    events: dict[str, list[JsonDict]] = field(default_factory=dict)  # run -> events
    global_switch: JsonDict = field(default_factory=lambda: {"on": False, "reason": None})
    credentials: list[JsonDict] = field(default_factory=list)
    audit: list[JsonDict] = field(default_factory=list)
    positions: JsonDict = field(
        default_factory=lambda: {
            "venue": "paper",
            "net": [],
            "day": [],
            "pnl_paise": 0,
            "realised_paise": 0,
            "unrealised_paise": 0,
        }
    )
    prices: dict[str, str] = field(default_factory=lambda: {"NSE:INFY": "1500.00"})
    quote_error: DashboardError | None = None  # quotes fail with this (e.g. Kite is down)
    fail_with: DashboardError | None = None  # the next call raises this once
    listeners: list[FakeListener] = field(default_factory=list)
    now: datetime = T0

    def add_user(self, token: str, username: str, role: str = "member") -> None:
        self.users[token] = {
            "id": username,
            "username": username,
            "role": role,
            "display_name": username.title(),
            "channel": "dashboard",
        }

    def add_request(self, request: JsonDict) -> None:
        self.requests[request["id"]] = request

    def notify(self, event: str = "approval.created", data: str = "{}") -> None:
        """A notice to every live listener (as the service's stream would send)."""
        for listener in [x for x in self.listeners if x.connected]:
            listener.on_notice(event, data)

    def api(self, token: str) -> FakeDashboardApi:
        if token not in self.users:
            raise DashboardError("invalid or revoked API token", code="unauthenticated")
        return FakeDashboardApi(self, self.users[token])


@dataclass
class FakeListener:
    on_notice: OnNotice
    connected: bool = True

    def stop(self) -> None:
        self.connected = False


class FakeDashboardApi:
    def __init__(self, desk: FakeDesk, user: JsonDict) -> None:
        self.desk, self.user = desk, user
        self.calls = 0

    def _tick(self) -> None:
        self.calls += 1
        failure, self.desk.fail_with = self.desk.fail_with, None
        if failure is not None:
            raise failure

    def _visible(self, r: JsonDict) -> bool:
        uid = self.user["id"]
        return (
            self.user["role"] == "admin"
            or uid in r["eligible_approver_ids"]
            or (uid == r["proposer_id"])
        )

    def me(self) -> JsonDict:
        self._tick()
        return dict(self.user)

    def queue(self) -> list[JsonDict]:
        self._tick()
        uid = self.user["id"]
        decided = {
            r["id"]
            for r in self.desk.requests.values()
            if any(d["approver_id"] == uid for d in r["decisions"])
        }
        return [
            copy.deepcopy(r)
            for r in self.desk.requests.values()
            if r["state"] == "pending"
            and uid in r["eligible_approver_ids"]
            and r["id"] not in decided
        ]

    def list_requests(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        agent: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> list[JsonDict]:
        self._tick()
        states = set(state.split(",")) if state else None
        found = [
            r
            for r in self.desk.requests.values()
            if self._visible(r)
            and (states is None or r["state"] in states)
            and (kind is None or r["kind"] == kind)
            and (agent is None or r["agent_id"] == agent)
        ]
        return copy.deepcopy(found[(page - 1) * page_size : page * page_size])

    def get_request(self, request_id: str) -> JsonDict:
        self._tick()
        r = self.desk.requests.get(request_id)
        if r is None or not self._visible(r):
            raise DashboardError(f"approval request {request_id} not found", code="not_found")
        return r

    def decide(self, request_id: str, decision: str, reason: str | None) -> JsonDict:
        r = self.get_request(request_id)
        uid = self.user["id"]
        if uid not in r["eligible_approver_ids"]:
            raise DashboardError("you are not an approver of this request", code="forbidden")
        if decision == "reject" and not reason:
            raise DashboardError("a reason is required to reject", {"reason": "required"})
        if r["state"] != "pending":
            raise DashboardError(f"the request is already {r['state']}", code="conflict")
        if any(d["approver_id"] == uid for d in r["decisions"]):
            raise DashboardError("you already decided this request", code="conflict")
        r["decisions"].append(
            {
                "approver_id": uid,
                "username": self.user["username"],
                "decision": decision,
                "reason": reason,
                "channel": "dashboard",
                "decided_at": self.desk.now.isoformat(),
            }
        )
        outcome = "recorded"
        if decision == "reject":
            r["state"], outcome = "rejected", "rejected"
        else:
            r["approvals"] += 1
            if r["approvals"] >= r["quorum"]:
                r["state"], outcome = "approved", "approved"
        r["summary"]["quorum_progress"] = f"{r['approvals']} of {r['quorum']}"
        return {"outcome": outcome, "replayed": False, "request": r}

    def list_agents(self) -> list[JsonDict]:
        self._tick()
        return list(self.desk.agents.values())

    def get_agent(self, agent_id: str) -> JsonDict:
        self._tick()
        if agent_id not in self.desk.agents:
            raise DashboardError(f"agent {agent_id} not found", code="not_found")
        return self.desk.agents[agent_id]

    def pause_agent(self, agent_id: str, reason: str | None) -> JsonDict:
        agent = self.get_agent(agent_id)
        agent.update(status="paused", pause_reason=reason)
        return agent

    def resume_agent(self, agent_id: str) -> JsonDict:
        agent = self.get_agent(agent_id)
        agent.update(status="active", pause_reason=None)
        return agent

    def set_agent_kill_switch(self, agent_id: str, on: bool, reason: str | None) -> JsonDict:
        agent = self.get_agent(agent_id)
        agent["kill_switch"] = on
        return agent

    def list_runs(self, agent_id: str, filters: dict[str, str]) -> list[JsonDict]:
        self._tick()
        runs = self.desk.runs.get(agent_id, [])
        wanted = set(filters["status"].split(",")) if filters.get("status") else None
        q = filters.get("q", "").lower()
        return [
            r for r in runs if (wanted is None or r["status"] in wanted) and q in r["query"].lower()
        ]

    def get_run(self, agent_id: str, run_id: str) -> JsonDict:
        self._tick()
        for run in self.desk.runs.get(agent_id, []):
            if run["id"] == run_id:
                return run
        raise DashboardError(f"run {run_id} not found", code="not_found")

    def start_run(self, agent_id: str, query: str | None, replay: str | None) -> JsonDict:
        self.get_agent(agent_id)
        runs = self.desk.runs.setdefault(agent_id, [])
        run = {
            "id": f"run-{len(runs) + 1}",
            "agent_id": agent_id,
            "query": query or replay or "",
            "status": "running",
            "created_at": self.desk.now.isoformat(),
            "steps": 0,
            "event_count": 0,
            "result_text": None,
            "cost_usd": "0",
            "cancel_requested": False,
        }
        runs.insert(0, run)
        self.desk.events[str(run["id"])] = []
        return run

    def cancel_run(self, agent_id: str, run_id: str) -> JsonDict:
        run = self.get_run(agent_id, run_id)
        if run["status"] not in ("pending", "running"):
            raise DashboardError(f"the run is already {run['status']}", code="conflict")
        run.update(status="canceled", cancel_requested=True)
        return run

    def run_events(self, agent_id: str, run_id: str, after: int = 0) -> JsonDict:
        self.get_run(agent_id, run_id)
        events = [e for e in self.desk.events.get(run_id, []) if e["seq"] > after]
        return {
            "results": events,
            "next_after": events[-1]["seq"] if events else after,
            "more": False,
        }

    def kill_switch(self) -> JsonDict:
        self._tick()
        return dict(self.desk.global_switch)

    def set_kill_switch(self, on: bool, reason: str | None) -> JsonDict:
        self._tick()
        if self.user["role"] != "admin":
            raise DashboardError(
                "only admins may change the desk-wide kill switch", code="forbidden"
            )
        self.desk.global_switch = {"on": on, "reason": reason, "changed_by": self.user["id"]}
        return dict(self.desk.global_switch)

    def broker_credentials(self) -> list[JsonDict]:
        self._tick()
        return list(self.desk.credentials)

    def verify_audit(self) -> JsonDict:
        self._tick()
        return {
            "ok": True,
            "count": len(self.desk.audit),
            "head_hash": "0" * 64,
            "message": f"chain intact: {len(self.desk.audit)} events",
        }

    def audit_events(self, limit: int = 50) -> list[JsonDict]:
        self._tick()
        return self.desk.audit[:limit]

    def positions(self) -> JsonDict:
        self._tick()
        return dict(self.desk.positions)

    def orders(self) -> list[JsonDict]:
        self._tick()
        return []

    def quotes(self, instruments: list[str]) -> JsonDict:
        self._tick()
        if self.desk.quote_error is not None:
            raise self.desk.quote_error
        prices = self.desk.prices
        return {
            "source": "paper",
            "as_of": self.desk.now.isoformat(),
            "quotes": [{"instrument": k, "ltp": prices.get(k)} for k in instruments],
            "missing": [k for k in instruments if k not in prices],
        }

    def listen(self, on_notice: OnNotice) -> FakeListener:
        listener = FakeListener(on_notice)
        self.desk.listeners.append(listener)
        return listener
