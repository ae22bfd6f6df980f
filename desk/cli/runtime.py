"""Opening a desk for one CLI command: settings, logging, bootstrap, notices."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from desk.domain.users import Actor, Channel

if TYPE_CHECKING:
    from desk.bootstrap import Runtime
    from desk.settings import DeskSettings

CLI_ACTOR = Actor.system(channel=Channel.CLI, label="cli")


def settings() -> DeskSettings:
    from desk.log import configure_logging
    from desk.settings import load_settings

    loaded = load_settings()
    configure_logging(loaded.log_level, loaded.log_format)
    return loaded


@contextmanager
def open_desk(*, upgrade: bool = False, require_schema: bool = True) -> Iterator[Runtime]:
    """The store opened in this process (needs the DuckDB file to be free)."""
    from desk.bootstrap import bootstrap

    # A brand-new store (no migration applied yet) is created on first use; a store that
    # is merely behind must be upgraded on purpose with `desk db upgrade`.
    mode: bool | Literal["if_empty"] = upgrade or ("if_empty" if require_schema else False)
    runtime = bootstrap(settings(), upgrade=mode, require_schema=require_schema)
    for notice in runtime.notices:
        sys.stderr.write(f"note: {notice}\n")
    try:
        yield runtime
    finally:
        runtime.close()
