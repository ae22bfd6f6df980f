# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""One approval request in full: proposal, rationale, evidence, risk, drift, decisions, order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from desk.dashboard.backend import DashboardApi, JsonDict
from desk.dashboard.queue import QueueState
from desk.dashboard.reactive import bind
from desk.dashboard.rows import drift, evidence_links, rupees
from desk.dashboard.session import Session


class DetailState(param.Parameterized):
    request_id = param.String(
        default="", doc="The request shown (stays after it leaves the queue)."
    )
    request = param.Dict(default=None, allow_None=True, doc="GET /approval-requests/{id}/.")
    ltp_now = param.String(default="", doc="Last price from the positions, when held.")
    risk = param.DataFrame(default=pd.DataFrame(columns=["check", "passed", "message"]))
    run = param.Dict(default=None, allow_None=True, doc="The research run behind a trade.")

    def __init__(self, session: Session, queue: QueueState, **params: Any) -> None:
        super().__init__(**params)
        self.session, self.queue = session, queue
        self.on_open_run: Callable[[str, str], None] | None = None
        queue.param.watch(self._selected, "selected")

    def _selected(self, event: param.parameterized.Event) -> None:
        if event.new:
            self.request_id = event.new
            self.load()

    def load(self) -> None:
        request_id = self.request_id
        if not request_id:
            self.param.update(request=None, ltp_now="")
            return

        def fetch(api: DashboardApi) -> tuple[JsonDict, str]:
            detail = api.get_request(request_id)
            instrument = (detail.get("summary") or {}).get("instrument")
            return detail, _last_price(api, instrument) if instrument else ""

        found = self.session.attempt(fetch)
        if found is not None:
            self.param.update(request=found[0], ltp_now=found[1], run=self._run_of(found[0]))

    def _run_of(self, request: JsonDict) -> JsonDict | None:
        """The run that proposed the trade (fetched once; a finished run does not change)."""
        run_id, agent_id = (request.get("details") or {}).get("run_id"), request.get("agent_id")
        if not run_id or not agent_id:
            return None
        if self.run is not None and self.run.get("id") == run_id:
            return self.run
        return self.session.attempt(lambda api: api.get_run(str(agent_id), str(run_id)))

    def open_run(self) -> None:
        if self.run is None:
            self.session.say("This request has no research run.", "info")
        elif self.on_open_run is not None:
            self.on_open_run(str(self.run.get("agent_id")), str(self.run.get("id")))
            self.session.say("The run is open in the Runs tab.", "info")

    def markdown(self) -> str:
        r = self.request
        if r is None:
            return "_Select a request in the queue to see it in full._"
        details, summary = r.get("details") or {}, r.get("summary") or {}
        lines = [
            f"### {r.get('kind', '')} request `{r.get('id', '')[:12]}` — **{r.get('state')}**",
            f"Agent **{r.get('agent_name', '')}** · proposed by `{r.get('proposer_id', '')}` · "
            f"quorum {summary.get('quorum_progress', '')} · expires {r.get('expires_at', '')}",
        ]
        if r.get("kind") == "trade":
            lines += _trade_lines(details, self.ltp_now)
        else:
            lines += [
                f"Version {details.get('version', '?')}: {details.get('from_stage', '?')} → "
                f"{details.get('to_stage', '?')}"
            ]
        me = self.session.user or {}
        decisions = _decision_lines(
            r.get("decisions") or [], str(me.get("id")), self.session.username
        )
        lines += _run_lines(self.run)
        lines += ["#### Decisions", *(decisions or ["none yet"])]
        lines += ["#### Order", *_order_lines(r.get("order"))]
        return "\n\n".join(lines)

    @param.depends("request", watch=True)
    def _risk_frame(self) -> None:
        risk = (self.request or {}).get("risk") or []
        rows = [
            {
                "check": c.get("name"),
                "passed": "✔" if c.get("passed") else "✘",
                "message": c.get("message"),
            }
            for c in risk
            if isinstance(c, dict)
        ]
        self.risk = pd.DataFrame(rows, columns=["check", "passed", "message"])


def _last_price(api: DashboardApi, instrument: str) -> str:
    positions = api.positions()
    for p in [*(positions.get("net") or []), *(positions.get("day") or [])]:
        if p.get("instrument") == instrument and p.get("last_price"):
            return str(p["last_price"])
    return ""


def _trade_lines(details: JsonDict, ltp_now: str) -> list[str]:
    price = details.get("price") or "MARKET"
    then = details.get("ltp_at_creation")
    links = evidence_links(details.get("evidence"))
    return [
        f"**{details.get('side')} {details.get('quantity')} {details.get('instrument')}** "
        f"@ {price} ({details.get('order_type', '')} {details.get('product', '')}) · "
        f"value {rupees(details.get('value_paise'))}",
        f"LTP at creation **{then or '-'}** · LTP now **{ltp_now or 'n/a'}** · "
        f"drift **{drift(then, ltp_now) if ltp_now else '-'}**",
        "#### Rationale",
        str(details.get("rationale") or "-"),
        "#### Evidence",
        "\n".join(f"- [{title}]({url})" for title, url in links) or "none cited",
    ]


def _run_lines(run: JsonDict | None) -> list[str]:
    if not run:
        return []
    text = (run.get("result_text") or "").strip()
    return [
        "#### Research run",
        f"`{str(run.get('id'))[:12]}` {run.get('status')} · {run.get('steps')} steps · "
        f"{run.get('event_count')} events · ${run.get('cost_usd')} (events: *Open run*)",
        text[:1200] + ("…" if len(text) > 1200 else ""),
    ]


def _decision_lines(decisions: list[JsonDict], my_id: str, my_name: str) -> list[str]:
    def who(d: JsonDict) -> str:
        uid = str(d.get("approver_id"))
        return f"you ({my_name})" if uid == my_id else f"`{uid}`"

    return [
        f"- **{d.get('decision')}** by {who(d)} via {d.get('channel')} at {d.get('decided_at')}"
        + (f" — {d.get('reason')}" if d.get("reason") else "")
        for d in decisions
    ]


def _order_lines(order: JsonDict | None) -> list[str]:
    if not order:
        return ["no order yet"]
    return [
        f"order `{order.get('order_id') or '-'}` · state **{order.get('state')}** · broker "
        f"**{order.get('broker_status') or '-'}** · filled {order.get('filled_quantity', 0)} @ "
        f"{order.get('average_price') or '-'}"
    ]


class DetailView(Viewer):
    def __init__(self, state: DetailState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state

    def __panel__(self) -> pn.viewable.Viewable:
        s = self.state
        body = pn.pane.Markdown(
            bind(lambda _r, _l: s.markdown(), s.param.request, s.param.ltp_now),
            sizing_mode="stretch_width",
            name="request-detail",
        )
        risk = pn.widgets.Tabulator.from_param(
            s.param.risk, show_index=False, disabled=True, sizing_mode="stretch_width"
        )
        open_run = pn.widgets.Button(
            name="Open run", button_type="default", width=120, visible=s.param.run.rx.bool()
        )
        open_run.on_click(lambda _e: s.open_run())
        return pn.Column(body, open_run, "#### Risk checks", risk, sizing_mode="stretch_width")
