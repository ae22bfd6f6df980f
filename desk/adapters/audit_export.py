"""Writing audit events to Parquet (for polars/DuckDB) or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from desk.domain.audit import ChainRow, format_time

SCHEMA_FIELDS = (
    "seq",
    "id",
    "occurred_at",
    "action",
    "actor_id",
    "actor_label",
    "channel",
    "subject_type",
    "subject_id",
    "payload",
    "prev_hash",
    "hash",
)


def _rows(events: Iterable[ChainRow]) -> Iterator[dict[str, object]]:
    for e in events:
        yield {
            "seq": e.seq,
            "id": e.id,
            "occurred_at": e.occurred_at,
            "action": e.action,
            "actor_id": e.actor_id,
            "actor_label": e.actor_label,
            "channel": e.channel,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "payload": e.payload_json,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }


def write_events(events: Iterable[ChainRow], path: Path, fmt: str, batch_size: int) -> int:
    rows = _rows(events)
    if fmt == "jsonl":
        count = 0
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                line = {**row, "occurred_at": format_time(row["occurred_at"])}  # type: ignore[arg-type]
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
        return count
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("seq", pa.int64()),
            ("id", pa.string()),
            ("occurred_at", pa.timestamp("us", tz="UTC")),
            ("action", pa.string()),
            ("actor_id", pa.string()),
            ("actor_label", pa.string()),
            ("channel", pa.string()),
            ("subject_type", pa.string()),
            ("subject_id", pa.string()),
            ("payload", pa.string()),
            ("prev_hash", pa.string()),
            ("hash", pa.string()),
        ]
    )
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        while batch := list(islice(rows, batch_size)):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count
