"""Run once when ``panel serve`` starts (``--setup``): render a signed-in page, its request
detail and every tab against the in-memory fake, and make the shared TLS context, so the first
real session pays no first-use costs (imports, Bokeh model classes, Tabulator set-up: ≈0.5 s
otherwise)."""

from bokeh.document import Document

from desk.dashboard.agents import AgentsView
from desk.dashboard.app import DashboardApp
from desk.dashboard.fake import T0, FakeDesk, trade_request
from desk.dashboard.operations import OperationsView
from desk.dashboard.runs import RunsView
from desk.dashboard.tls import tls_context


def warm_up() -> None:
    tls_context()  # shared by every session's HTTP clients
    desk = FakeDesk()
    desk.add_user("warm", "warm", role="admin")
    desk.agents["a1"] = {"id": "a1", "name": "warm", "owner_id": "warm", "approver_ids": ["warm"]}
    for i in range(30):
        desk.add_request(trade_request(f"warm-{i}", approvers=("warm",)))
    app = DashboardApp(desk.api, now=lambda: T0)
    app.session.token = "warm"  # noqa: S105 (the in-memory fake's token)
    app.sign_in()
    if app.desk is not None:
        app.desk.queue.selected = "warm-0"
        for name in ("Runs", "Agents", "Operations"):
            app.desk.open_tab(name)
        for view in (
            RunsView(state=app.desk.runs),
            AgentsView(state=app.desk.agents),
            OperationsView(state=app.desk.operations),
        ):
            view.__panel__().get_root(Document())
    app.__panel__().get_root(Document())
    app.sign_out()


warm_up()
