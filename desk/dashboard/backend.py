"""How the dashboard talks to the promotion service: a Protocol, its HTTP adapter and errors.

Every call acts as the signed-in user (``Authorization: Bearer <token>``) through the
``dashboard`` channel, so each decision is attributed to that user in the audit. Results are
plain JSON (dicts and lists) as the REST API returns them.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import httpx

from desk.dashboard.notices import Listener, NoticeListener, OnNotice
from desk.dashboard.tls import tls_context

JsonDict = dict[str, Any]
TIMEOUT_SECONDS = 10.0


class DashboardError(Exception):
    """A failure to show in the page: the service's error message and the fields it names."""

    def __init__(self, message: str, fields: dict[str, str] | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.code = code

    def describe(self) -> str:
        extra = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        return f"{self.message} ({extra})" if extra else self.message


class DashboardApi(Protocol):
    """The service calls the dashboard makes (paths fixed by the REST API)."""

    def me(self) -> JsonDict: ...
    def queue(self) -> list[JsonDict]: ...
    def list_requests(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        agent: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> list[JsonDict]: ...
    def get_request(self, request_id: str) -> JsonDict: ...
    def decide(self, request_id: str, decision: str, reason: str | None) -> JsonDict: ...
    def list_agents(self) -> list[JsonDict]: ...
    def get_agent(self, agent_id: str) -> JsonDict: ...
    def pause_agent(self, agent_id: str, reason: str | None) -> JsonDict: ...
    def resume_agent(self, agent_id: str) -> JsonDict: ...
    def set_agent_kill_switch(self, agent_id: str, on: bool, reason: str | None) -> JsonDict: ...
    def list_runs(self, agent_id: str, filters: dict[str, str]) -> list[JsonDict]: ...
    def get_run(self, agent_id: str, run_id: str) -> JsonDict: ...
    def start_run(self, agent_id: str, query: str | None, replay: str | None) -> JsonDict: ...
    def cancel_run(self, agent_id: str, run_id: str) -> JsonDict: ...
    def run_events(self, agent_id: str, run_id: str, after: int = 0) -> JsonDict: ...
    def kill_switch(self) -> JsonDict: ...
    def set_kill_switch(self, on: bool, reason: str | None) -> JsonDict: ...
    def broker_credentials(self) -> list[JsonDict]: ...
    def verify_audit(self) -> JsonDict: ...
    def audit_events(self, limit: int = 50) -> list[JsonDict]: ...
    def positions(self) -> JsonDict: ...
    def orders(self) -> list[JsonDict]: ...
    def quotes(self, instruments: list[str]) -> JsonDict: ...
    def listen(self, on_notice: OnNotice) -> Listener | None:
        """Start following approval notices (None when this backend has no live feed)."""


def error_of(response: httpx.Response) -> DashboardError:
    """Map ``{"error": {"code", "message", "fields"}}`` (or anything else) to an error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        fields = error.get("fields") if isinstance(error.get("fields"), dict) else {}
        return DashboardError(
            error["message"],
            {str(k): str(v) for k, v in (fields or {}).items()},
            str(error.get("code") or ""),
        )
    return DashboardError(f"the service answered {response.status_code} {response.reason_phrase}")


def _query(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v not in (None, "")}


class HttpDashboardApi:
    """``DashboardApi`` over HTTP as one user. ``transport`` lets tests inject a fake."""

    def __init__(
        self, base_url: str, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._base_url, self._token, self._transport = base_url, token, transport
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "X-Desk-Channel": "dashboard"},
            timeout=TIMEOUT_SECONDS,
            transport=transport,
            verify=tls_context(),
        )

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise DashboardError(
                f"the service could not be reached ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 400:
            raise error_of(response)
        return response.json()

    def _results(self, path: str, params: dict[str, Any] | None = None) -> list[JsonDict]:
        body = self._call("GET", path, params=_query(params or {}))
        return list(body["results"] if isinstance(body, dict) else body)

    def me(self) -> JsonDict:
        return dict(self._call("GET", "/api/v1/me/"))

    def queue(self) -> list[JsonDict]:
        return list(self._call("GET", "/api/v1/approval-requests/queue/", params={"limit": 100}))

    def list_requests(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        agent: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> list[JsonDict]:
        params = {"state": state, "kind": kind, "agent": agent, "page": page}
        return self._results("/api/v1/approval-requests/", {**params, "page_size": page_size})

    def get_request(self, request_id: str) -> JsonDict:
        return dict(self._call("GET", f"/api/v1/approval-requests/{request_id}/"))

    def decide(self, request_id: str, decision: str, reason: str | None) -> JsonDict:
        body: JsonDict = {"decision": decision}
        if reason:
            body["reason"] = reason
        key = {"Idempotency-Key": f"dashboard-{uuid.uuid4().hex}"}
        path = f"/api/v1/approval-requests/{request_id}/decide/"
        return dict(self._call("POST", path, json=body, headers=key))

    def list_agents(self) -> list[JsonDict]:
        return self._results("/api/v1/agents/", {"page_size": 100})

    def get_agent(self, agent_id: str) -> JsonDict:
        return dict(self._call("GET", f"/api/v1/agents/{agent_id}/"))

    def pause_agent(self, agent_id: str, reason: str | None) -> JsonDict:
        body = {"reason": reason} if reason else None
        return dict(self._call("POST", f"/api/v1/agents/{agent_id}/pause/", json=body))

    def resume_agent(self, agent_id: str) -> JsonDict:
        return dict(self._call("POST", f"/api/v1/agents/{agent_id}/resume/"))

    def set_agent_kill_switch(self, agent_id: str, on: bool, reason: str | None) -> JsonDict:
        body: JsonDict = {"on": on, **({"reason": reason} if reason else {})}
        return dict(self._call("PUT", f"/api/v1/agents/{agent_id}/kill-switch/", json=body))

    def list_runs(self, agent_id: str, filters: dict[str, str]) -> list[JsonDict]:
        return self._results(f"/api/v1/agents/{agent_id}/analysis-runs/", dict(filters))

    def get_run(self, agent_id: str, run_id: str) -> JsonDict:
        return dict(self._call("GET", f"/api/v1/agents/{agent_id}/analysis-runs/{run_id}/"))

    def start_run(self, agent_id: str, query: str | None, replay: str | None) -> JsonDict:
        body: JsonDict = {"async_mode": True}
        body.update({"replay": replay} if replay else {"query": query})
        key = {"Idempotency-Key": f"dashboard-{uuid.uuid4().hex}"}
        path = f"/api/v1/agents/{agent_id}/analyze/"
        return dict(self._call("POST", path, json=body, headers=key))

    def cancel_run(self, agent_id: str, run_id: str) -> JsonDict:
        path = f"/api/v1/agents/{agent_id}/analysis-runs/{run_id}/cancel/"
        return dict(self._call("POST", path))

    def run_events(self, agent_id: str, run_id: str, after: int = 0) -> JsonDict:
        path = f"/api/v1/agents/{agent_id}/analysis-runs/{run_id}/events/"
        return dict(self._call("GET", path, params={"after": after, "limit": 500}))

    def kill_switch(self) -> JsonDict:
        return dict(self._call("GET", "/api/v1/kill-switch/"))

    def set_kill_switch(self, on: bool, reason: str | None) -> JsonDict:
        body: JsonDict = {"on": on, **({"reason": reason} if reason else {})}
        return dict(self._call("PUT", "/api/v1/kill-switch/", json=body))

    def broker_credentials(self) -> list[JsonDict]:
        return self._results("/api/v1/broker-credentials/")

    def verify_audit(self) -> JsonDict:
        return dict(self._call("POST", "/api/v1/audit/verify/"))

    def audit_events(self, limit: int = 50) -> list[JsonDict]:
        return self._results("/api/v1/audit/events/", {"limit": limit})

    def positions(self) -> JsonDict:
        return dict(self._call("GET", "/api/v1/positions/"))

    def orders(self) -> list[JsonDict]:
        return self._results("/api/v1/orders/", {"page_size": 100})

    def quotes(self, instruments: list[str]) -> JsonDict:
        params = {"instruments": ",".join(instruments)}
        return dict(self._call("GET", "/api/v1/quotes/", params=params))

    def listen(self, on_notice: OnNotice) -> Listener | None:
        listener = NoticeListener(self._base_url, self._token, on_notice, transport=self._transport)
        listener.start()
        return listener
