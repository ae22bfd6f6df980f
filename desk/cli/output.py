"""Rich tables for the CLI (imported lazily by commands)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table

from desk.domain.clock import IST


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row))
    Console().print(table)
