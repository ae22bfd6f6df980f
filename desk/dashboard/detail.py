# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""One approval request in full: proposal, rationale, evidence, risk, drift, decisions, order."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from desk.dashboard.backend import DashboardError, JsonDict
from desk.dashboard.queue import QueueState
from desk.dashboard.reactive import bind
from desk.dashboard.rows import drift_pct, evidence_links, rupees, stale_drift_limit
from desk.dashboard.session import Session


class DetailState(param.Parameterized):
    request_id = param.String(
        default="", doc="The request shown (stays after it leaves the queue)."
    )
    request = param.Dict(default=None, allow_None=True, doc="GET /approval-requests/{id}/.")
    ltp_now = param.String(default="", doc="Last price now (GET /quotes/), when known.")
    quote_note = param.String(default="", doc="Where LTP now came from, or why it is missing.")
    drift_limit = param.String(default="2", doc="The agent's stale-approval drift limit, %.")
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
            self.param.update(request=None, ltp_now="", quote_note="")
            return
        found = self.session.attempt(lambda api: api.get_request(request_id))
        if found is None:
            return
        ltp, note = self._quote(found)
        limit = stale_drift_limit(self.queue.agent_detail(str(found.get("agent_id", ""))))
        self.param.update(
            request=found, ltp_now=ltp, quote_note=note, drift_limit=str(limit),
            run=self._run_of(found),
        )  # fmt: skip

    def _quote(self, request: JsonDict) -> tuple[str, str]:
        """(LTP now, a note: the source, or why there is no price) — never an exception."""
        instrument = (request.get("summary") or {}).get("instrument")
        api = self.session.api
        if request.get("kind") != "trade" or not instrument or api is None:
            return "", ""
        try:
            quotes = api.quotes([str(instrument)])
        except DashboardError as exc:
            return "", f"LTP now unavailable: {exc.describe()}"
        source = str(quotes.get("source") or "market data")
        ltp = next(
            (q.get("ltp") for q in quotes.get("quotes") or [] if q.get("instrument") == instrument),
            None,
        )
        if ltp is None:
            return "", f"no market data for {instrument} ({source})"
        return str(ltp), source

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
            lines += _trade_lines(details, self.ltp_now, self.quote_note, self.drift_limit)
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


def _trade_lines(details: JsonDict, ltp_now: str, note: str, limit: str) -> list[str]:
    price = details.get("price") or "MARKET"
    links = evidence_links(details.get("evidence"))
    return [
        f"**{details.get('side')} {details.get('quantity')} {details.get('instrument')}** "
        f"@ {price} ({details.get('order_type', '')} {details.get('product', '')}) · "
        f"value {rupees(details.get('value_paise'))}",
        _drift_line(details.get("ltp_at_creation"), ltp_now, note, limit),
        "#### Rationale",
        str(details.get("rationale") or "-"),
        "#### Evidence",
        "\n".join(f"- [{title}]({url})" for title, url in links) or "none cited",
    ]


def _drift_line(then: Any, ltp_now: str, note: str, limit: str) -> str:
    """LTP at creation vs now and the drift, flagged past the stale-approval limit."""
    now_text = f"**{ltp_now}** ({note})" if ltp_now else f"**n/a** — {note or 'no price'}"
    line = f"LTP at creation **{then or '-'}** · LTP now {now_text}"
    pct = drift_pct(then, ltp_now or None)
    if pct is None:
        return f"{line} · drift **-**"
    if abs(pct) > Decimal(limit):
        return (
            f'{line} · <span class="drift-stale" style="color:#b00020">drift '
            f"**{pct:+}%** exceeds the {limit}% stale-approval limit: execution will be "
            "refused until it is proposed again</span>"
        )
    return f"{line} · drift **{pct:+}%** (limit ±{limit}%)"


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
        if uid == my_id:
            return f"you ({my_name})"
        return f"**{d['username']}**" if d.get("username") else f"`{uid}`"

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
            bind(
                lambda *_changed: s.markdown(),
                s.param.request,
                s.param.ltp_now,
                s.param.quote_note,
                s.param.drift_limit,
            ),
            sizing_mode="stretch_width",
            name="request-detail",
        )
        # a static HTML table: a few rows, no need for a second Tabulator on the first page
        risk = pn.pane.DataFrame(
            s.param.risk, index=False, sizing_mode="stretch_width", css_classes=["risk-checks"]
        )
        open_run = pn.widgets.Button(
            name="Open run", button_type="default", width=120, visible=s.param.run.rx.bool()
        )
        open_run.on_click(lambda _e: s.open_run())
        return pn.Column(body, open_run, "#### Risk checks", risk, sizing_mode="stretch_width")
