"""The Desk approval dashboard: ``panel serve dashboards/app.py`` (or ``desk dashboard``).

Talks to the promotion service at ``DESK_URL`` (default http://127.0.0.1:8000) as the user
whose API token is entered on the sign-in page. Panel runs this script once per browser
session, so each session has its own user, client and state.
"""

import os

import panel as pn

from desk.dashboard.app import DashboardApp
from desk.dashboard.backend import HttpDashboardApi

pn.extension("tabulator", notifications=False, sizing_mode="stretch_width")

SERVICE_URL = os.environ.get("DESK_URL", "http://127.0.0.1:8000")

DashboardApp(lambda token: HttpDashboardApi(SERVICE_URL, token), live=True).servable(
    title="Desk — approvals"
)
