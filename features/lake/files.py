"""Writing the lake: one Parquet file per event date and type per flush, typed columns.

Layout: `<root>/event_date=YYYY-MM-DD/event_type=<type>/part-<uuid>.parquet` (a flush) or
`compacted-<uuid>.parquet` (features/lake/maintenance.py). Every file is written to a hidden
temporary name and renamed into place, so readers never see half a file. Writes are
at-least-once: a partition holding anything but one compacted file may hold an event twice,
and `read_events` de-duplicates those partitions by `event_id`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from contracts.registry import EVENTS, Registry
from features.lake.columns import BASE, ENVELOPE, PAYLOAD, as_utc, columns_of

PART, COMPACTED = "part-", "compacted-"
# Rows per row group of a compacted file: it is sorted by user, so a user filter reads only
# the groups whose user range holds one (bench/lake.py measures it).
ROW_GROUP = 16 * 1024


def partition_dir(root: str | Path, day: str, event_type: str) -> Path:
    return Path(root) / f"event_date={day}" / f"event_type={event_type}"


def lake_row(event: dict[str, Any], item_id: str | None) -> dict[str, Any]:
    """One event (its JSON as a dict) as a lake row: the envelope, its item, its fields."""
    return {
        "event_id": str(event["event_id"]),
        "event_type": event["event_type"],
        "occurred_at": event["occurred_at"],
        "user_id": event.get("user_id"),
        "session_id": event.get("session_id"),
        "schema_version": event.get("schema_version", 1),
        "item_id": item_id,
        "fields": {k: v for k, v in event.items() if k not in ENVELOPE},
    }


def typed_table(event_type: str, rows: list[dict[str, Any]],
                registry: Registry = EVENTS) -> pa.Table:
    """Rows of one event type as a table of its typed columns (see features/lake/columns).

    A field that is not declared, or whose value does not convert to its column's type,
    lands in `payload` with the row's other leftovers: nothing is dropped, nothing raises."""
    cols = columns_of(event_type, registry)
    typed: dict[str, list[Any]] = {name: [] for name in cols.fields}
    payload: list[str | None] = []
    for row in rows:
        fields = row.get("fields") or {}
        left = {k: v for k, v in fields.items() if k not in cols.fields}
        for name, convert in cols.convert.items():
            value = fields.get(name)
            if value is not None:
                try:
                    value = convert(value)
                except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
                    left[name], value = fields[name], None
            typed[name].append(value)
        payload.append(_json(left) if left else None)
    arrays: list[pa.Array] = [
        pa.array([r["event_id"] for r in rows], pa.string()),
        pa.array([as_utc(r["occurred_at"]) for r in rows], BASE.field("occurred_at").type),
        pa.array([r.get("user_id") for r in rows], pa.string()),
        pa.array([r.get("session_id") for r in rows], pa.string()),
        pa.array([r.get("schema_version", 1) for r in rows], pa.int16()),
        pa.array([r.get("item_id") for r in rows], pa.string()),
    ]
    for name, kind in cols.fields.items():
        try:
            arrays.append(pa.array(typed[name], kind))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            # Out of the column's range (the contracts' bounds keep valid events inside it):
            # the whole column goes to payload for this file rather than the row vanishing.
            arrays.append(pa.nulls(len(rows), kind))
            for i, value in enumerate(typed[name]):
                if value is not None:
                    held = payload[i]
                    extra = orjson.loads(held) if held is not None else {}
                    payload[i] = _json({**extra, name: value})
    arrays.append(pa.array(payload, PAYLOAD.type))
    return pa.Table.from_arrays(arrays, schema=cols.schema)


def _json(fields: dict[str, Any]) -> str:
    try:
        return orjson.dumps(fields).decode()
    except TypeError:  # an integer past 64 bits, from a caller that did not validate
        return json.dumps(fields, default=str)


def write_table(folder: Path, table: pa.Table, *, prefix: str = PART) -> Path:
    """Write one file into a partition folder atomically (hidden name, then rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{prefix}{uuid.uuid4().hex}.parquet"
    tmp = folder / f".{name}.tmp"
    pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP)
    os.replace(tmp, folder / name)
    return folder / name


def write_rows(root: str | Path, rows: Iterable[dict[str, Any]],
               registry: Registry = EVENTS) -> list[Path]:
    """Write rows (`lake_row`) into their partitions atomically; returns the files written."""
    parts: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        parts[(as_utc(row["occurred_at"]).date().isoformat(), row["event_type"])].append(row)
    return [write_table(partition_dir(root, day, event_type),
                        typed_table(event_type, part_rows, registry))
            for (day, event_type), part_rows in parts.items()]
