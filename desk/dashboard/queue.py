# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""The approval queue: what the signed-in user may decide, filters, approve and reject."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from desk.dashboard.backend import DashboardApi, DashboardError, JsonDict
from desk.dashboard.rows import QUEUE_COLUMNS, matches, queue_row
from desk.dashboard.session import Session

SCOPES = [
    "my queue",
    "pending",
    "approved",
    "executing",
    "executed",
    "failed",
    "rejected",
    "expired",
    "canceled",
    "all",
]
Now = Callable[[], datetime]
PAGE_SIZE = 100  # the API's largest page
MAX_ROWS = 2000  # listing scopes fetch at most this many requests
STALE_AGES = timedelta(seconds=30)  # rebuild at least this often so ages stay current


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _all_pages(api: DashboardApi, state: str | None) -> list[JsonDict]:
    found: list[JsonDict] = []
    for page in range(1, MAX_ROWS // PAGE_SIZE + 1):
        batch = api.list_requests(state=state, page=page, page_size=PAGE_SIZE)
        found.extend(batch)
        if len(batch) < PAGE_SIZE:
            break
    return found


def _label(row: dict[str, Any]) -> str:
    return (
        f"{row['instrument']} {row['side']} {row['qty'] or ''} · {row['agent']} · {row['id'][:8]}"
    )


class QueueState(param.Parameterized):
    scope: param.Selector[str] = param.Selector(
        default="my queue", objects=SCOPES, doc="Which requests to list."
    )
    agent: param.Selector[str] = param.Selector(default="", objects=[""], label="Agent")
    kind: param.Selector[str] = param.Selector(
        default="", objects=["", "trade", "config_promotion"], label="Kind"
    )
    text = param.String(default="", label="Search", doc="Instrument, agent or id.")
    requests = param.List(default=[], doc="The requests as the service returned them.")
    table = param.DataFrame(default=pd.DataFrame(columns=list(QUEUE_COLUMNS)))
    shown = param.String(default="", doc="How many requests the table shows.")
    selected: param.Selector[str] = param.Selector(default="", objects=[""], label="Request")
    reason = param.String(default="", label="Reason", doc="Required to reject.")
    confirm_live = param.Boolean(default=False, label="I confirm this LIVE order")

    def __init__(self, session: Session, now: Now = _utc_now, **params: Any) -> None:
        super().__init__(**params)
        self.session, self._now = session, now
        self._agents: dict[str, JsonDict] = {}
        self._built = datetime.min.replace(tzinfo=UTC)

    def fetch(self, api: DashboardApi) -> list[JsonDict]:
        """The requests of the current scope (plain HTTP: safe on a worker thread)."""
        if self.scope == "my queue":
            return api.queue()
        return _all_pages(api, None if self.scope == "all" else self.scope)

    def refresh(self, force: bool = False) -> None:
        """Fetch again; the table is rebuilt only when something changed (or ages went stale)."""
        self.apply(self.session.attempt(self.fetch), force)

    def apply(self, found: list[JsonDict] | None, force: bool = False) -> None:
        if found is None:
            return
        if found != self.requests:
            self.requests = found  # rebuilds the table
        elif force or self._now() - self._built >= STALE_AGES:
            self.param.trigger("requests")

    @param.depends("requests", "agent", "kind", "text", watch=True)
    def _rebuild(self) -> None:
        now = self._built = self._now()
        rows = [queue_row(r, now) for r in self.requests]
        agents = sorted({str(r["agent"]) for r in rows})
        self.param.agent.objects = ["", *agents]
        if self.agent not in self.param.agent.objects:
            self.agent = ""
        visible = [r for r in rows if matches(r, agent=self.agent, kind=self.kind, text=self.text)]
        frame = pd.DataFrame(visible, columns=list(QUEUE_COLUMNS))
        labels = {"": ""} | {_label(r): r["id"] for r in visible}
        self.param.selected.objects = labels
        if self.selected not in labels.values():
            self.selected = ""
        self.table = frame
        self.shown = f"{len(visible)} shown of {len(rows)} ({self.scope})"

    @param.depends("scope", watch=True)
    def _scope_changed(self) -> None:
        self.refresh(force=True)

    def select_row(self, index: int) -> None:
        if 0 <= index < len(self.table):
            self.selected = str(self.table.iloc[index]["id"])

    def selected_request(self) -> JsonDict | None:
        return next((r for r in self.requests if r.get("id") == self.selected), None)

    def agent_detail(self, agent_id: str) -> JsonDict:
        """``GET /agents/{id}/``, fetched once per session ({} when it cannot be read)."""
        if agent_id not in self._agents and self.session.api is not None:
            try:
                self._agents[agent_id] = self.session.api.get_agent(agent_id)
            except DashboardError:
                self._agents[agent_id] = {}
        return self._agents.get(agent_id, {})

    def is_live(self, request: JsonDict) -> bool:
        """Live when the details say so or the agent has a live-promoted config."""
        if (request.get("details") or {}).get("mode") == "live":
            return True
        return self.agent_detail(str(request.get("agent_id", ""))).get("live_version") is not None

    def approve(self) -> None:
        self._decide("approve")

    def reject(self) -> None:
        if not self.reason.strip():
            self.session.say("A reason is required to reject.", "warning")
            return
        self._decide("reject")

    def _decide(self, decision: str) -> None:
        request = self.selected_request()
        if request is None:
            self.session.say("Select a request first.", "warning")
            return
        if decision == "approve" and self.is_live(request) and not self.confirm_live:
            self.session.say("This is a LIVE order: tick the confirmation first.", "warning")
            return
        reason = self.reason.strip() or None
        result = self.session.attempt(lambda api: api.decide(request["id"], decision, reason))
        if result is None:
            return
        state = (result.get("request") or {}).get("state", "")
        progress = ((result.get("request") or {}).get("summary") or {}).get("quorum_progress", "")
        self.session.say(
            f"{decision.title()}d {request['id'][:8]}: {result.get('outcome')} "
            f"(state {state}, {progress}).",
            "success",
        )
        self.param.update(reason="", confirm_live=False)
        self.refresh()


class QueueView(Viewer):
    def __init__(self, state: QueueState, detail: Viewer | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.state, self.detail = state, detail  # detail: shown beside the decision form

    def __panel__(self) -> pn.viewable.Viewable:
        s = self.state
        table = pn.widgets.Tabulator.from_param(
            s.param.table,
            show_index=False,
            disabled=True,
            pagination="local",
            page_size=25,
            layout="fit_columns",
            sizing_mode="stretch_width",
            hidden_columns=["id"],
            selectable=1,
            css_classes=["approval-queue"],
        )
        table.on_click(lambda event: s.select_row(int(event.row)))
        reason = pn.widgets.TextInput.from_param(
            s.param.reason, placeholder="why (required to reject)", width=400
        )
        reason.param.watch(lambda _e: s.reject(), "enter_pressed")
        approve = pn.widgets.Button(name="Approve", button_type="success", width=190)
        reject = pn.widgets.Button(name="Reject", button_type="danger", width=190)
        approve.on_click(lambda _e: s.approve())
        reject.on_click(lambda _e: s.reject())
        refresh = pn.widgets.Button(name="Refresh", button_type="light", width=90, align="end")
        refresh.on_click(lambda _e: s.refresh())
        filters = pn.Row(
            pn.widgets.Select.from_param(s.param.scope, width=140),
            pn.widgets.Select.from_param(s.param.agent, width=160),
            pn.widgets.Select.from_param(s.param.kind, width=160),
            pn.widgets.TextInput.from_param(s.param.text, width=200, placeholder="INFY…"),
            refresh,
            sizing_mode="fixed",
            width=900,
        )
        decide = pn.Column(
            "### Decide",
            pn.widgets.Select.from_param(s.param.selected, width=400),
            reason,
            pn.widgets.Checkbox.from_param(s.param.confirm_live),
            pn.Row(approve, reject),
            pn.pane.Markdown(
                "Enter in the reason field rejects; Tab moves between buttons.",
                styles={"color": "#666"},
            ),
            width=420,
            sizing_mode="fixed",
        )
        lower = pn.Row(decide, self.detail, sizing_mode="stretch_width") if self.detail else decide
        count = pn.pane.Markdown(s.param.shown, css_classes=["queue-count"])
        return pn.Column(filters, count, table, lower, sizing_mode="stretch_width")
