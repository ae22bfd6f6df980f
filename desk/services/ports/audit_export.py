"""Writing exported audit rows to a file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from desk.domain.audit import ChainRow

#: ``writer(rows, path, fmt, batch_size) -> count`` (``fmt``: parquet or jsonl).
AuditWriter = Callable[[Iterable[ChainRow], Path, str, int], int]
