"""The offline store: a Parquet lake partitioned by event date and type.

Layout: `<root>/event_date=YYYY-MM-DD/event_type=<type>/part-<uuid>.parquet`. Every file is
written to a hidden temporary name and renamed into place, so readers never see half a file.
Writes are at-least-once; `read_events` deduplicates by `event_id`.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

ENVELOPE = ("event_id", "event_type", "occurred_at", "user_id", "session_id", "schema_version")

SCHEMA = pa.schema([
    ("event_id", pa.string()),
    ("occurred_at", pa.timestamp("us", tz="UTC")),
    ("user_id", pa.string()),
    ("session_id", pa.string()),
    ("schema_version", pa.int16()),
    ("item_id", pa.string()),
    ("payload", pa.string()),  # the type-specific fields as JSON
])
PARTITIONING = ds.partitioning(
    pa.schema([("event_date", pa.string()), ("event_type", pa.string())]), flavor="hive"
)


def lake_row(event: dict[str, Any], item_id: str | None) -> dict[str, Any]:
    """Flatten one validated event (as a JSON-ready dict) into a lake row."""
    payload = {k: v for k, v in event.items() if k not in ENVELOPE}
    return {
        "event_id": str(event["event_id"]),
        "event_type": event["event_type"],
        "occurred_at": event["occurred_at"],
        "user_id": event.get("user_id"),
        "session_id": event.get("session_id"),
        "schema_version": event.get("schema_version", 1),
        "item_id": item_id,
        "payload": orjson.dumps(payload).decode(),
    }


def _as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def write_rows(root: str | Path, rows: Iterable[dict[str, Any]]) -> list[Path]:
    """Write rows into their partitions atomically; returns the files written."""
    parts: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        ts = _as_utc(row["occurred_at"])
        parts[(ts.date().isoformat(), row["event_type"])].append({**row, "occurred_at": ts})
    written = []
    for (day, event_type), part_rows in parts.items():
        folder = Path(root) / f"event_date={day}" / f"event_type={event_type}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(
            [{name: r.get(name) for name in SCHEMA.names} for r in part_rows], schema=SCHEMA
        )
        name = f"part-{uuid.uuid4().hex}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, folder / name)
        written.append(folder / name)
    return written


def read_events(
    types: Sequence[str] | None = None,
    start: datetime | date | str | None = None,
    end: datetime | date | str | None = None,
    *,
    path: str | Path,
    expand: bool = False,
) -> pd.DataFrame:
    """Events of `types` with `start <= occurred_at < end`, one row per `event_id`.

    Partition pruning and filters run inside pyarrow. With `expand=True` the JSON payload
    is spread into columns (convenient in notebooks, slower on big reads).
    """
    root = Path(path)
    columns = ["event_id", "event_type", "occurred_at", "user_id", "session_id",
               "schema_version", "item_id", "payload"]
    if not root.exists() or not any(root.glob("event_date=*")):
        return pd.DataFrame(columns=columns)
    dataset = ds.dataset(root, format="parquet", partitioning=PARTITIONING,
                         exclude_invalid_files=False, ignore_prefixes=[".", "_"])
    if not dataset.files:  # folders made, their first file not renamed in yet
        return pd.DataFrame(columns=columns)
    cond = None
    if types:
        cond = ds.field("event_type").isin(list(types))
    for bound, op in ((start, "ge"), (end, "lt")):
        if bound is None:
            continue
        ts = pa.scalar(_bound(bound), type=pa.timestamp("us", tz="UTC"))
        c = ds.field("occurred_at") >= ts if op == "ge" else ds.field("occurred_at") < ts
        day = ds.field("event_date") >= _bound(bound).date().isoformat() if op == "ge" else (
            ds.field("event_date") <= _bound(bound).date().isoformat())
        c = c & day
        cond = c if cond is None else cond & c
    table = dataset.to_table(columns=columns, filter=cond)
    frame = table.to_pandas()
    frame = frame.drop_duplicates("event_id", keep="first").sort_values(
        ["occurred_at", "event_id"], kind="stable").reset_index(drop=True)
    if expand and len(frame):
        payload = pd.json_normalize([orjson.loads(p) for p in frame["payload"]], max_level=0)
        frame = pd.concat([frame.drop(columns="payload"), payload], axis=1)
    return frame


def _bound(value: datetime | date | str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return _bound(datetime.fromisoformat(value.replace("Z", "+00:00")))
