"""Run once when ``panel serve`` starts (``--setup``): render a signed-in page against the
in-memory fake so the first real session does not pay first-use costs (≈1.5 s otherwise)."""

from bokeh.document import Document

from desk.dashboard.app import DashboardApp
from desk.dashboard.fake import T0, FakeDesk, trade_request


def warm_up() -> None:
    desk = FakeDesk()
    desk.add_user("warm", "warm")
    for i in range(30):
        desk.add_request(trade_request(f"warm-{i}", approvers=("warm",)))
    app = DashboardApp(desk.api, now=lambda: T0)
    app.session.token = "warm"  # noqa: S105 (the in-memory fake's token)
    app.sign_in()
    if app.desk is not None:
        app.desk.queue.selected = "warm-0"
    app.__panel__().get_root(Document())
    app.sign_out()


warm_up()
