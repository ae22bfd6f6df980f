# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""Analysis runs: history with the API's filters, one run's events (live while running),
start (async) and cancel."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from desk.dashboard.backend import DashboardApi, JsonDict
from desk.dashboard.reactive import bind
from desk.dashboard.session import Session
from desk.domain.runs import RUN_ORDERINGS

RUN_COLUMNS = ["id", "status", "query", "model", "created_at", "steps", "event_count", "cost_usd"]
EVENT_COLUMNS = ["seq", "kind", "summary", "created_at"]
ACTIVE = ("pending", "running")
SUMMARY_KEYS = ("content", "text", "message", "error", "name", "tool", "url")


def _event_row(event: JsonDict) -> dict[str, Any]:
    payload = event.get("payload") or {}
    text = next((payload[k] for k in SUMMARY_KEYS if payload.get(k)), None)
    if text is None:
        text = ", ".join(f"{k}={v}" for k, v in payload.items() if not isinstance(v, dict | list))
    return {
        "seq": event.get("seq"),
        "kind": event.get("kind"),
        "summary": str(text)[:200],
        "created_at": event.get("created_at"),
    }


class RunsState(param.Parameterized):
    agent: param.Selector[str] = param.Selector(default="", objects=[""], label="Agent")
    status: param.Selector[str] = param.Selector(
        default="", objects=["", "pending", "running", "completed", "failed", "canceled"]
    )
    q = param.String(default="", label="Search")
    date_from = param.String(default="", label="From (YYYY-MM-DD)")
    date_to = param.String(default="", label="To (YYYY-MM-DD)")
    order_by: param.Selector[str] = param.Selector(
        default="-created_at", objects=list(RUN_ORDERINGS)
    )
    runs = param.DataFrame(default=pd.DataFrame(columns=RUN_COLUMNS))
    run_id = param.String(default="", label="Run id")
    run = param.Dict(default=None, allow_None=True)
    events = param.DataFrame(default=pd.DataFrame(columns=EVENT_COLUMNS))
    query = param.String(default="", label="Question for a new run")
    replay = param.String(default="", label="…or a recorded replay")

    def __init__(self, session: Session, **params: Any) -> None:
        super().__init__(**params)
        self.session = session
        self._after = 0

    def load_agents(self, agents: list[JsonDict]) -> None:
        names = {"": ""} | {str(a.get("name")): str(a.get("id")) for a in agents}
        self.param.agent.objects = names
        if not self.agent or self.agent not in names.values():
            # chosen quietly: the history is fetched when the Runs tab is first shown
            with param.parameterized.discard_events(self):
                self.agent = next(iter(list(names.values())[1:]), "")

    def filters(self) -> dict[str, str]:
        chosen = {
            "status": self.status,
            "q": self.q.strip(),
            "date_from": self.date_from.strip(),
            "date_to": self.date_to.strip(),
            "order_by": self.order_by,
        }
        return {k: v for k, v in chosen.items() if v}

    @param.depends("agent", "status", "order_by", watch=True)
    def search(self) -> None:
        if not self.agent:
            return
        agent, filters = self.agent, self.filters()
        found = self.session.attempt(lambda api: api.list_runs(agent, filters))
        if found is not None:
            rows = [{c: r.get(c) for c in RUN_COLUMNS} for r in found]
            self.runs = pd.DataFrame(rows, columns=RUN_COLUMNS)

    def open_agent_run(self, agent_id: str, run_id: str) -> None:
        if agent_id in list(self.param.agent.objects):
            self.agent = agent_id
        self.open(run_id)

    def open(self, run_id: str) -> None:
        self._after = 0
        self.param.update(run_id=run_id, events=pd.DataFrame(columns=EVENT_COLUMNS))
        self.follow()

    def follow(self) -> None:
        """Fetch the run and its new events; called on a timer while the run is active."""
        if not (self.agent and self.run_id):
            return
        agent, run_id, after = self.agent, self.run_id, self._after

        def fetch(api: DashboardApi) -> tuple[JsonDict, JsonDict]:
            return api.get_run(agent, run_id), api.run_events(agent, run_id, after)

        found = self.session.attempt(fetch)
        if found is None:
            return
        run, page = found
        new = [_event_row(e) for e in page.get("results") or []]
        self._after = int(page.get("next_after") or after)
        if new:
            self.events = pd.concat(
                [self.events, pd.DataFrame(new, columns=EVENT_COLUMNS)], ignore_index=True
            )
        changed = (self.run or {}).get("status") != run.get("status")
        self.run = run
        if changed:
            self.search()  # the history shows the new status too

    @property
    def active(self) -> bool:
        return bool(self.run and self.run.get("status") in ACTIVE)

    def start(self) -> None:
        if not self.agent:
            self.session.say("Choose an agent first.", "warning")
            return
        agent, query, replay = self.agent, self.query.strip() or None, self.replay.strip() or None
        if not (query or replay):
            self.session.say("Type a question or a replay name.", "warning")
            return
        run = self.session.attempt(lambda api: api.start_run(agent, query, replay), "Run started.")
        if run is not None:
            self.param.update(query="", replay="")
            self.search()
            self.open(str(run["id"]))

    def cancel(self) -> None:
        agent, run_id = self.agent, self.run_id
        if not run_id:
            self.session.say("Open a run first.", "warning")
            return
        if self.session.attempt(lambda api: api.cancel_run(agent, run_id), "Cancel requested."):
            self.follow()
            self.search()


class RunsView(Viewer):
    def __init__(self, state: RunsState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state

    def __panel__(self) -> pn.viewable.Viewable:
        s = self.state
        table = pn.widgets.Tabulator.from_param(
            s.param.runs,
            show_index=False,
            disabled=True,
            pagination="local",
            page_size=15,
            sizing_mode="stretch_width",
            hidden_columns=["id"],
        )
        table.on_click(lambda e: s.open(str(s.runs.iloc[int(e.row)]["id"])))
        search = pn.widgets.Button(name="Search", button_type="primary")
        search.on_click(lambda _e: s.search())
        start = pn.widgets.Button(name="Start run", button_type="success")
        start.on_click(lambda _e: s.start())
        cancel = pn.widgets.Button(name="Cancel run", button_type="warning")
        cancel.on_click(lambda _e: s.cancel())
        query = pn.widgets.TextInput.from_param(s.param.query, width=360)
        query.param.watch(lambda _e: s.start(), "enter_pressed")
        filters = pn.Row(
            *(
                pn.widgets.Select.from_param(p, width=150)
                for p in (s.param.agent, s.param.status, s.param.order_by)
            ),
            *(
                pn.widgets.TextInput.from_param(p, width=140)
                for p in (s.param.q, s.param.date_from, s.param.date_to)
            ),
            search,
        )
        summary = pn.pane.Markdown(bind(_run_summary, s.param.run), sizing_mode="stretch_width")
        events = pn.widgets.Tabulator.from_param(
            s.param.events,
            show_index=False,
            disabled=True,
            height=300,
            sizing_mode="stretch_width",
        )
        starter = pn.Row(query, pn.widgets.TextInput.from_param(s.param.replay, width=200), start)
        return pn.Column(
            filters, table, starter, pn.Row(summary, cancel), events, sizing_mode="stretch_width"
        )


def _run_summary(run: JsonDict | None) -> str:
    if not run:
        return "_Click a run to follow its events._"
    text = (run.get("result_text") or "").strip()
    return (
        f"**Run `{str(run.get('id'))[:12]}` — {run.get('status')}** · {run.get('steps')} "
        f"steps · ${run.get('cost_usd')}" + (f"\n\n{text[:1500]}" if text else "")
    )
