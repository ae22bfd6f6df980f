# mypy: disable-error-code="no-untyped-call"
# (Panel widgets, panes and Viewer.__init__ carry no annotations.)
"""One browser session's sign-in state: the user, their API client and the message line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import param

from desk.dashboard.backend import DashboardApi, DashboardError

T = TypeVar("T")
Connect = Callable[[str], DashboardApi]


class Session(param.Parameterized):
    """Who is signed in (per browser session, never shared) and what to tell them."""

    token = param.String(default="", doc="The API token to sign in with.")
    user = param.Dict(default=None, allow_None=True, doc="GET /me/ of the signed-in user.")
    message = param.String(default="", doc="The latest error or confirmation, shown on top.")
    message_kind: param.Selector[str] = param.Selector(
        default="info", objects=["info", "success", "warning", "danger"]
    )

    def __init__(self, connect: Connect, **params: Any) -> None:
        super().__init__(**params)
        self._connect = connect
        self.api: DashboardApi | None = None

    @property
    def signed_in(self) -> bool:
        return self.user is not None and self.api is not None

    @property
    def username(self) -> str:
        return str((self.user or {}).get("username", ""))

    @property
    def is_admin(self) -> bool:
        return (self.user or {}).get("role") == "admin"

    def say(self, message: str, kind: str = "info") -> None:
        self.param.update(message=message, message_kind=kind)

    def sign_in(self) -> bool:
        token = self.token.strip()
        if not token:
            self.say("Enter your API token to sign in.", "warning")
            return False
        try:
            api = self._connect(token)
            user = api.me()
        except DashboardError as exc:
            self.say(f"Sign-in failed: {exc.describe()}", "danger")
            return False
        self.api = api
        self.param.update(token="", user=user)
        self.say(f"Signed in as {user.get('username')}.", "success")
        return True

    def sign_out(self) -> None:
        close = getattr(self.api, "close", None)
        if callable(close):
            close()
        self.api = None
        self.param.update(user=None, token="")
        self.say("Signed out.", "info")

    def attempt(self, action: Callable[[DashboardApi], T], done: str | None = None) -> T | None:
        """Run one service call; a failure becomes a readable message, never a traceback."""
        if self.api is None:
            self.say("Sign in first.", "warning")
            return None
        try:
            result = action(self.api)
        except DashboardError as exc:
            self.say(exc.describe(), "danger")
            return None
        except Exception as exc:
            self.say(f"Unexpected problem ({type(exc).__name__}); try again.", "danger")
            return None
        if done:
            self.say(done, "success")
        return result
