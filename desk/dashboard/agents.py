# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""Agents: the list, config versions with diffs, promotion requests and quorum, pause/resume."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from desk.dashboard.backend import DashboardApi, JsonDict
from desk.dashboard.reactive import bind
from desk.dashboard.rows import config_diff
from desk.dashboard.session import Session

AGENT_COLUMNS = ["id", "name", "status", "kill_switch", "owner_id", "approvers"]
VERSION_COLUMNS = ["version", "stage", "author_id", "created_at"]
PROMOTION_COLUMNS = ["id", "state", "quorum", "created_at", "decided_at"]


class AgentsState(param.Parameterized):
    agents = param.List(default=[])
    table = param.DataFrame(default=pd.DataFrame(columns=AGENT_COLUMNS))
    agent: param.Selector[str] = param.Selector(default="", objects=[""], label="Agent")
    detail = param.Dict(default=None, allow_None=True)
    versions = param.DataFrame(default=pd.DataFrame(columns=VERSION_COLUMNS))
    version: param.Selector[int] = param.Selector(default=0, objects=[0], label="Diff version")
    diff = param.String(default="")
    promotions = param.DataFrame(default=pd.DataFrame(columns=PROMOTION_COLUMNS))
    pause_reason = param.String(default="", label="Pause reason")

    def __init__(self, session: Session, **params: Any) -> None:
        super().__init__(**params)
        self.session = session

    def refresh(self) -> None:
        self.apply(self.session.attempt(lambda api: api.list_agents()))

    def apply(self, found: list[JsonDict] | None) -> None:
        if found is None:
            return
        rows = [
            {
                **{c: a.get(c) for c in AGENT_COLUMNS},
                "approvers": ", ".join(a.get("approver_ids") or []),
            }
            for a in found
        ]
        self.param.agent.objects = {"": ""} | {str(a["name"]): str(a["id"]) for a in found}
        self.param.update(agents=found, table=pd.DataFrame(rows, columns=AGENT_COLUMNS))
        if self.agent and self.agent not in {a["id"] for a in found}:
            self.agent = ""

    @param.depends("agent", watch=True)
    def load(self) -> None:
        agent_id = self.agent
        if not agent_id:
            self.param.update(detail=None, diff="")
            return

        def fetch(api: DashboardApi) -> tuple[JsonDict, list[JsonDict]]:
            return api.get_agent(agent_id), api.list_requests(
                kind="config_promotion", agent=agent_id
            )

        found = self.session.attempt(fetch)
        if found is None:
            return
        detail, promotions = found
        versions = detail.get("versions") or []
        numbers = [int(v["version"]) for v in versions] or [0]
        self.param.version.objects = numbers
        rows = [
            {
                "id": r.get("id"),
                "state": r.get("state"),
                "created_at": r.get("created_at"),
                "quorum": (r.get("summary") or {}).get("quorum_progress"),
                "decided_at": r.get("decided_at"),
            }
            for r in promotions
        ]
        self.param.update(
            detail=detail,
            promotions=pd.DataFrame(rows, columns=PROMOTION_COLUMNS),
            versions=pd.DataFrame(
                [{c: v.get(c) for c in VERSION_COLUMNS} for v in versions], columns=VERSION_COLUMNS
            ),
        )
        self.version = numbers[-1]
        self._diff()

    @param.depends("version", watch=True)
    def _diff(self) -> None:
        versions = {int(v["version"]): v for v in (self.detail or {}).get("versions") or []}
        new = versions.get(int(self.version or 0))
        if new is None:
            self.diff = ""
            return
        old = versions.get(int(new["version"]) - 1)
        old_label = f"v{old['version']} ({old['stage']})" if old else "(nothing)"
        self.diff = config_diff(
            old["config"] if old else None,
            new["config"],
            old_label,
            f"v{new['version']} ({new['stage']})",
        )

    def pause(self) -> None:
        self._act(
            lambda api: api.pause_agent(self.agent, self.pause_reason.strip() or None), "Paused."
        )

    def resume(self) -> None:
        self._act(lambda api: api.resume_agent(self.agent), "Resumed.")

    def _act(self, action: Any, done: str) -> None:
        if not self.agent:
            self.session.say("Choose an agent first.", "warning")
            return
        if self.session.attempt(action, done) is not None:
            self.pause_reason = ""
            self.refresh()
            self.load()


class AgentsView(Viewer):
    def __init__(self, state: AgentsState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state

    def __panel__(self) -> pn.viewable.Viewable:
        s = self.state
        table = pn.widgets.Tabulator.from_param(
            s.param.table,
            show_index=False,
            disabled=True,
            hidden_columns=["id"],
            sizing_mode="stretch_width",
        )
        table.on_click(lambda e: setattr(s, "agent", str(s.table.iloc[int(e.row)]["id"])))
        pause = pn.widgets.Button(name="Pause", button_type="warning")
        pause.on_click(lambda _e: s.pause())
        resume = pn.widgets.Button(name="Resume", button_type="success")
        resume.on_click(lambda _e: s.resume())
        diff = pn.pane.Markdown(
            bind(lambda d: f"```diff\n{d}\n```" if d else "", s.param.diff),
            sizing_mode="stretch_width",
        )
        return pn.Column(
            table,
            pn.Row(
                pn.widgets.Select.from_param(s.param.agent, width=200),
                pn.widgets.TextInput.from_param(s.param.pause_reason, width=240),
                pause,
                resume,
            ),
            "#### Config versions",
            pn.widgets.Tabulator.from_param(s.param.versions, show_index=False, disabled=True),
            pn.widgets.Select.from_param(s.param.version, width=120),
            diff,
            "#### Promotion requests",
            pn.widgets.Tabulator.from_param(
                s.param.promotions, show_index=False, disabled=True, sizing_mode="stretch_width"
            ),
            sizing_mode="stretch_width",
        )
