# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""Operations (owners and admins): kill switches, broker credentials, audit, positions, P&L."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import panel as pn
import param
from bokeh.models import FactorRange
from bokeh.plotting import figure
from panel.viewable import Viewer

from desk.dashboard.backend import JsonDict
from desk.dashboard.reactive import bind
from desk.dashboard.rows import rupees, token_warning
from desk.dashboard.session import Session

CRED_COLUMNS = ["label", "api_key", "access_token", "token_status", "access_token_expires_at"]
AUDIT_COLUMNS = ["seq", "occurred_at", "action", "actor_label", "channel", "subject_type"]
POSITION_COLUMNS = ["instrument", "product", "quantity", "average_price", "last_price", "pnl"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OperationsState(param.Parameterized):
    switch = param.Dict(default=None, allow_None=True, doc="The desk-wide kill switch.")
    switch_reason = param.String(default="", label="Reason")
    confirm = param.Boolean(default=False, label="I confirm this kill-switch change")
    agent: param.Selector[str] = param.Selector(default="", objects=[""], label="Agent")
    credentials = param.DataFrame(default=pd.DataFrame(columns=CRED_COLUMNS))
    warnings = param.List(default=[])
    verify_result = param.String(default="")
    audit = param.DataFrame(default=pd.DataFrame(columns=AUDIT_COLUMNS))
    positions = param.DataFrame(default=pd.DataFrame(columns=POSITION_COLUMNS))
    pnl = param.String(default="")

    def __init__(
        self, session: Session, now: Callable[[], datetime] = _utc_now, **params: Any
    ) -> None:
        super().__init__(**params)
        self.session, self._now = session, now
        self.agent_switches: dict[str, bool] = {}

    def load_agents(self, agents: list[JsonDict]) -> None:
        self.agent_switches = {str(a["id"]): bool(a.get("kill_switch")) for a in agents}
        self.param.agent.objects = {"": ""} | {str(a["name"]): str(a["id"]) for a in agents}

    def refresh(self) -> None:
        """Everything on the page; parts the user may not see (403) stay empty, quietly."""
        api = self.session.api
        if api is None:
            return
        self.switch = _quiet(api.kill_switch)
        creds = _quiet(api.broker_credentials) or []
        self.credentials = pd.DataFrame(
            [{c: x.get(c) for c in CRED_COLUMNS} for x in creds], columns=CRED_COLUMNS
        )
        self.warnings = [w for w in (token_warning(c, self._now()) for c in creds) if w] or (
            [] if creds else ["no broker credentials: paper trading only (live needs Kite)"]
        )
        if self.session.is_admin:
            events = _quiet(lambda: api.audit_events(50)) or []
            self.audit = pd.DataFrame(
                [{c: e.get(c) for c in AUDIT_COLUMNS} for e in events], columns=AUDIT_COLUMNS
            )
        self._positions(_quiet(api.positions) or {})

    def _positions(self, found: JsonDict) -> None:
        rows = [
            {**{c: p.get(c) for c in POSITION_COLUMNS}, "pnl": rupees(p.get("pnl_paise"))}
            for p in found.get("net") or []
        ]
        self.positions = pd.DataFrame(rows, columns=POSITION_COLUMNS)
        self.pnl = (
            (
                f"P&L {rupees(found.get('pnl_paise'))} (realised "
                f"{rupees(found.get('realised_paise'))}, unrealised "
                f"{rupees(found.get('unrealised_paise'))})"
            )
            if found
            else ""
        )
        self._pnl_rows = [
            (str(p.get("instrument")), int(p.get("pnl_paise") or 0)) for p in found.get("net") or []
        ]

    def _confirmed(self) -> bool:
        if not self.confirm:
            self.session.say("Tick the confirmation to change a kill switch.", "warning")
        return self.confirm

    def set_global(self, on: bool) -> None:
        if not self._confirmed():
            return
        reason = self.switch_reason.strip() or None
        done = f"Desk-wide kill switch {'ON' if on else 'off'}."
        found = self.session.attempt(lambda api: api.set_kill_switch(on, reason), done)
        if found is not None:
            self.param.update(switch=found, confirm=False, switch_reason="")

    def set_agent(self, on: bool) -> None:
        if not self.agent:
            self.session.say("Choose an agent first.", "warning")
            return
        if not self._confirmed():
            return
        agent_id, reason = self.agent, self.switch_reason.strip() or None
        done = f"Agent kill switch {'ON' if on else 'off'}."
        found = self.session.attempt(lambda a: a.set_agent_kill_switch(agent_id, on, reason), done)
        if found is not None:
            self.agent_switches[agent_id] = bool(found.get("kill_switch"))
            self.param.update(confirm=False, switch_reason="")

    def verify(self) -> None:
        found = self.session.attempt(lambda api: api.verify_audit())
        if found is not None:
            mark = "✔" if found.get("ok") else "✘"
            self.verify_result = (
                f"{mark} {found.get('message')} (head {str(found.get('head_hash'))[:12]})"
            )
            self.session.say(self.verify_result, "success" if found.get("ok") else "danger")

    def pnl_figure(self) -> Any:
        rows: list[tuple[str, int]] = getattr(self, "_pnl_rows", [])
        names = [n for n, _ in rows] or ["(no positions)"]
        values = [float(Decimal(v) / 100) for _, v in rows] or [0.0]  # plotting only
        fig = figure(
            x_range=FactorRange(factors=names),
            height=220,
            title="P&L by instrument (₹)",
            toolbar_location=None,
        )
        fig.vbar(x=names, top=values, width=0.6)
        return fig


def _quiet(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception:
        return None


def _switch_text(switch: JsonDict | None) -> str:
    if switch is None:
        return "Desk-wide kill switch: unknown"
    state = "**ON — no trades execute**" if switch.get("on") else "off"
    reason = f" ({switch.get('reason')})" if switch.get("reason") else ""
    return f"Desk-wide kill switch: {state}{reason}"


class OperationsView(Viewer):
    def __init__(self, state: OperationsState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state

    def __panel__(self) -> pn.viewable.Viewable:
        s = self.state

        def button(name: str, kind: str, action: Callable[[], None]) -> pn.widgets.Button:
            b = pn.widgets.Button(name=name, button_type=kind)
            b.on_click(lambda _e: action())
            return b

        admin = s.session.is_admin
        switches = pn.Column(
            pn.pane.Markdown(bind(_switch_text, s.param.switch), name="kill-switch-state"),
            pn.Row(
                pn.widgets.TextInput.from_param(s.param.switch_reason, width=260),
                pn.widgets.Checkbox.from_param(s.param.confirm, css_classes=["confirm-kill"]),
            ),
            pn.Row(
                button("Kill switch ON (desk)", "danger", lambda: s.set_global(True)),
                button("Kill switch off (desk)", "default", lambda: s.set_global(False)),
                visible=admin,
            ),
            pn.Row(
                pn.widgets.Select.from_param(s.param.agent, width=200),
                button("Agent switch ON", "danger", lambda: s.set_agent(True)),
                button("Agent switch off", "default", lambda: s.set_agent(False)),
            ),
        )
        warnings = pn.pane.Markdown(
            bind(lambda w: "\n".join(f"⚠ {x}" for x in w), s.param.warnings)
        )
        audit = pn.Column(
            pn.Row(
                button("Verify audit chain", "primary", s.verify),
                pn.pane.Markdown(s.param.verify_result),
            ),
            pn.widgets.Tabulator.from_param(
                s.param.audit,
                show_index=False,
                disabled=True,
                page_size=10,
                pagination="local",
                sizing_mode="stretch_width",
            ),
            visible=admin,
        )
        plot = pn.pane.Bokeh(bind(lambda _p: s.pnl_figure(), s.param.positions))
        return pn.Column(
            "### Kill switches",
            switches,
            "### Broker credentials",
            warnings,
            pn.widgets.Tabulator.from_param(s.param.credentials, show_index=False, disabled=True),
            "### Audit",
            audit,
            "### Positions",
            pn.pane.Markdown(s.param.pnl),
            pn.widgets.Tabulator.from_param(s.param.positions, show_index=False, disabled=True),
            plot,
            button("Refresh", "default", s.refresh),
            sizing_mode="stretch_width",
        )
