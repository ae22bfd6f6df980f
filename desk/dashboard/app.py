# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""The whole dashboard for one browser session: sign-in, then queue, runs, agents, operations.

``dashboards/app.py`` builds one :class:`DashboardApp` per session (``panel serve`` runs the
script once per session), so every browser has its own user and API client.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from desk.dashboard.agents import AgentsState, AgentsView
from desk.dashboard.detail import DetailState, DetailView
from desk.dashboard.notices import Listener
from desk.dashboard.operations import OperationsState, OperationsView
from desk.dashboard.queue import Now, QueueState, QueueView, _utc_now
from desk.dashboard.reactive import bind
from desk.dashboard.runs import RunsState, RunsView
from desk.dashboard.session import Connect, Session

REFRESH_MS = 2000
FULL_EVERY = 5  # with live notices, requests are still refetched every 5th tick (10 s)


class Desk(param.Parameterized):
    """The states of one signed-in user (rebuilt at each sign-in, dropped at sign-out)."""

    def __init__(self, session: Session, now: Now = _utc_now, **params: Any) -> None:
        super().__init__(**params)
        self.session = session
        self.queue = QueueState(session, now=now)
        self.detail = DetailState(session, self.queue)
        self.runs = RunsState(session)
        self.agents = AgentsState(session)
        self.operations = OperationsState(session, now=now)
        self.detail.on_open_run = self.runs.open_agent_run
        self._opened: set[str] = set()

    def load(self) -> None:
        """At sign-in: the queue and the agents, fetched side by side. The runs history and
        the operations page are fetched when their tab is first shown (:meth:`open_tab`)."""
        api = self.session.api
        if api is None:
            return
        with ThreadPoolExecutor(2, thread_name_prefix="desk-sign-in") as pool:
            requests = pool.submit(self.queue.fetch, api)
            agents = pool.submit(api.list_agents)
            self.queue.apply(self.session.attempt(lambda _api: requests.result()))
            self.agents.apply(self.session.attempt(lambda _api: agents.result()))
        self.runs.load_agents(self.agents.agents)
        self.operations.load_agents(self.agents.agents)

    def open_tab(self, name: str) -> None:
        """A tab is shown for the first time: fetch what only it needs."""
        if name in self._opened:
            return
        self._opened.add(name)
        if name == "Runs":
            self.runs.search()
        elif name == "Operations":
            self.operations.refresh()

    @property
    def shows_operations(self) -> bool:
        uid = (self.session.user or {}).get("id")
        return self.session.is_admin or any(a.get("owner_id") == uid for a in self.agents.agents)

    def tick(self, requests: bool = True) -> None:
        """One live update: the queue and the open request (``requests``), a running run."""
        if not self.session.signed_in:
            return
        if requests:
            self.queue.refresh()
            if self.detail.request_id:
                self.detail.load()
        if self.runs.active:
            self.runs.follow()


class DashboardApp(Viewer):
    ready = param.Boolean(default=False, doc="Signed in and loaded: the main page shows.")

    def __init__(
        self, connect: Connect, *, live: bool = False, now: Now = _utc_now, **params: Any
    ) -> None:
        super().__init__(**params)
        self.session = Session(connect)
        self._live, self._now = live, now
        self.desk: Desk | None = None
        self._callback: Any = None
        self._listener: Listener | None = None
        self._ticks = 0
        if live:
            pn.state.on_session_destroyed(lambda _context: self.sign_out())

    def sign_in(self) -> bool:
        if self.desk is not None:
            return True  # already signed in (Enter and the button may both fire)
        if not self.session.sign_in():
            return False
        self.desk = Desk(self.session, now=self._now)
        self.desk.load()
        self.ready = True  # one page build, after everything is loaded
        if self._live:  # then live updates (not on the way to the first render)
            self.follow_notices()
            self._callback = pn.state.add_periodic_callback(self._tick, period=REFRESH_MS)
        return True

    def follow_notices(self) -> None:
        """Refresh as soon as the service announces a change (SSE), not only on the timer."""
        api = self.session.api
        if api is None or self._listener is not None:
            return
        doc = pn.state.curdoc  # this session's document when served

        def on_notice(_event: str, _data: str) -> None:  # runs on the listener's thread
            if doc is not None and doc.session_context is not None:
                doc.add_next_tick_callback(self._notice_tick)
            else:
                self._notice_tick()

        self._listener = api.listen(on_notice)

    @property
    def notices_live(self) -> bool:
        return self._listener is not None and self._listener.connected

    def sign_out(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
        self.desk = None
        self.ready = False
        self.session.sign_out()

    def _clicked_sign_in(self, _event: object) -> None:
        self.sign_in()

    def _notice_tick(self) -> None:
        if self.desk is not None:
            self.desk.tick()

    def _tick(self) -> None:
        """Every 2 s: runs always; requests too unless live notices cover them (then 10 s)."""
        if self.desk is None:
            return
        self._ticks += 1
        self.desk.tick(requests=not self.notices_live or self._ticks % FULL_EVERY == 0)

    def _sign_in_page(self) -> pn.viewable.Viewable:
        token = pn.widgets.PasswordInput.from_param(
            self.session.param.token, name="API token", placeholder="desk_…", width=360
        )
        # A password field commits its value on Enter (or leaving it): that signs in.
        token.param.watch(lambda e: self.sign_in() if e.new else None, "value")
        button = pn.widgets.Button(name="Sign in", button_type="primary")
        button.on_click(self._clicked_sign_in)
        note = (
            "Paste your personal API token (`desk tokens create`). Every decision you make "
            "here is recorded under your name."
        )
        return pn.Column("## Sign in to Desk", note, token, button, width=420)

    def _main_page(self, desk: Desk) -> pn.viewable.Viewable:
        user = self.session.user or {}
        out = pn.widgets.Button(name="Sign out", button_type="default", width=100, align="center")
        out.on_click(lambda _e: self.sign_out())
        header = pn.Row(
            pn.pane.Markdown(
                f"## Desk approvals · Signed in as **{user.get('username')}** ({user.get('role')})",
                sizing_mode="stretch_width",
            ),
            out,
            sizing_mode="stretch_width",
        )

        def later(name: str, build: Callable[[], Viewer]) -> tuple[str, Any]:
            """A tab built (and its data fetched) only when it is first shown."""

            def shown() -> Viewer:
                desk.open_tab(name)
                return build()

            return name, pn.param.ParamFunction(shown, lazy=True)

        tabs = pn.Tabs(
            ("Approvals", QueueView(state=desk.queue, detail=DetailView(state=desk.detail))),
            later("Runs", lambda: RunsView(state=desk.runs)),
            later("Agents", lambda: AgentsView(state=desk.agents)),
            dynamic=True,
            sizing_mode="stretch_width",
        )
        if desk.shows_operations:
            tabs.append(later("Operations", lambda: OperationsView(state=desk.operations)))
        return pn.Column(header, tabs, sizing_mode="stretch_width")

    def _page(self, ready: bool) -> pn.viewable.Viewable:
        if not ready or self.desk is None:
            return self._sign_in_page()
        return self._main_page(self.desk)

    def __panel__(self) -> pn.viewable.Viewable:
        s = self.session
        alert = pn.pane.Alert(
            s.param.message,
            alert_type=s.param.message_kind,
            name="message",
            visible=s.param.message.rx.bool(),
            sizing_mode="stretch_width",
        )
        return pn.Column(
            alert, pn.panel(bind(self._page, self.param.ready)), sizing_mode="stretch_width"
        )
