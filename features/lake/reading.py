"""Reading the lake with the filters pushed down: memory follows the result, not the lake.

Partitions are pruned by their folder names (date and type) before any file is opened; time
and user filters run inside pyarrow's scanner against each file's row-group statistics
(compacted files are sorted by user, so a user filter skips most of them). Only partitions
that may hold an event twice (anything but a single compacted file) are de-duplicated, on
the rows that passed the filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from contracts.registry import EVENTS, Registry
from features.lake.columns import BASE, TIMESTAMP, columns_of, schema_of
from features.lake.files import COMPACTED

RETRIES = 5  # a compaction or expiry may remove files between listing and reading them


@dataclass(frozen=True)
class Partition:
    day: str
    event_type: str
    files: tuple[Path, ...]

    @property
    def exact(self) -> bool:
        """One compacted file: each event once, nothing to de-duplicate."""
        return len(self.files) == 1 and self.files[0].name.startswith(COMPACTED)


def partitions(root: Path, types: Sequence[str] | None = None, first: str | None = None,
               last: str | None = None) -> list[Partition]:
    """The partitions with at least one visible file, pruned by type and date (inclusive)."""
    wanted = None if types is None else set(types)
    out = []
    for day_dir in sorted(root.glob("event_date=*")):
        day = day_dir.name.split("=", 1)[1]
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        for type_dir in sorted(day_dir.glob("event_type=*")):
            event_type = type_dir.name.split("=", 1)[1]
            if wanted is not None and event_type not in wanted:
                continue
            files = tuple(sorted(p for p in type_dir.glob("*.parquet")
                                 if not p.name.startswith((".", "_"))))
            if files:
                out.append(Partition(day, event_type, files))
    return out


def bound(value: datetime | date | str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return bound(datetime.fromisoformat(value.replace("Z", "+00:00")))


def distinct(table: pa.Table) -> pa.Table:
    """The first row of each `event_id` (at-least-once writes repeat whole rows)."""
    if table.num_rows < 2:
        return table
    index = pa.array(np.arange(table.num_rows))
    first = (table.select(["event_id"]).append_column("_row", index)
             .group_by("event_id", use_threads=False).aggregate([("_row", "min")]))
    keep = pc.sort_indices(first["_row_min"])
    return table.take(pc.take(first["_row_min"], keep))


def _read_type(parts: list[Partition], event_type: str, cond: ds.Expression | None,
               columns: list[str] | None, registry: Registry) -> pa.Table:
    schema = schema_of(event_type, registry)
    names = schema.names if columns is None else [c for c in columns if c in schema.names]
    need_id = any(not p.exact for p in parts)
    scan = names if not need_id or "event_id" in names else [*names, "event_id"]
    files = [str(f) for p in parts for f in p.files]
    table = ds.dataset(files, schema=schema, format="parquet").to_table(
        columns=scan, filter=cond)
    if need_id:
        table = distinct(table)
        if "event_id" not in names:
            table = table.drop_columns(["event_id"])
    return table.append_column("event_type", pa.array([event_type] * table.num_rows,
                                                      pa.string()))


def read_table(types: Sequence[str] | None = None,
               start: datetime | date | str | None = None,
               end: datetime | date | str | None = None, *, path: str | Path,
               users: Sequence[str] | None = None, columns: Sequence[str] | None = None,
               registry: Registry = EVENTS) -> pa.Table:
    """`read_events` as one Arrow table (the columns of every type read, nulls elsewhere)."""
    root = Path(path)
    lo = None if start is None else bound(start)
    hi = None if end is None else bound(end)
    conds = []
    if lo is not None:
        conds.append(ds.field("occurred_at") >= pa.scalar(lo, TIMESTAMP))
    if hi is not None:
        conds.append(ds.field("occurred_at") < pa.scalar(hi, TIMESTAMP))
    if users is not None:
        conds.append(ds.field("user_id").isin(pa.array(list(users), pa.string())))
    cond = None
    for c in conds:
        cond = c if cond is None else cond & c
    wanted = None if columns is None else list(dict.fromkeys(columns))
    for attempt in range(RETRIES):
        found = partitions(root, types, None if lo is None else lo.date().isoformat(),
                           None if hi is None else hi.date().isoformat())
        by_type: dict[str, list[Partition]] = {}
        for p in found:
            by_type.setdefault(p.event_type, []).append(p)
        try:
            tables = [_read_type(parts, t, cond, wanted, registry)
                      for t, parts in sorted(by_type.items())]
            break
        except FileNotFoundError:
            if attempt == RETRIES - 1:
                raise
    if not tables:
        names = [*BASE.names, "payload"] if wanted is None else wanted
        tables = [_nulls(pa.table({}), [*names, "event_type"], types, registry)]
    table = pa.concat_tables(tables, promote_options="permissive")
    if wanted is not None:  # every column asked for, in that order, null where no type had it
        table = _nulls(table, wanted, types, registry)
        table = table.select([*wanted, *(["event_type"] if "event_type" not in wanted
                                         and "event_type" in table.column_names else [])])
    if "occurred_at" in table.column_names and "event_id" in table.column_names:
        table = table.sort_by([("occurred_at", "ascending"), ("event_id", "ascending")])
    return table


def _nulls(table: pa.Table, names: Sequence[str], types: Sequence[str] | None,
           registry: Registry) -> pa.Table:
    """`table` with a null column for each of `names` it lacks, typed as the contracts of
    `types` (every type by default) declare it, else a string."""
    for name in names:
        if name in table.column_names:
            continue
        kind: pa.DataType = BASE.field(name).type if name in BASE.names else pa.string()
        for event_type in types or sorted(registry.classes):
            schema = schema_of(event_type, registry)
            if name in schema.names:
                kind = schema.field(name).type
                break
        table = table.append_column(pa.field(name, kind), pa.nulls(table.num_rows, kind))
    return table


def read_events(types: Sequence[str] | None = None,
                start: datetime | date | str | None = None,
                end: datetime | date | str | None = None, *, path: str | Path,
                users: Sequence[str] | None = None, columns: Sequence[str] | None = None,
                registry: Registry = EVENTS) -> pd.DataFrame:
    """Events of `types` (all by default) with `start <= occurred_at < end`, of `users` (all
    by default), one row per `event_id`, sorted by time.

    Columns: the envelope, `event_type`, `item_id`, each type's typed fields (contracts) and
    `payload` (JSON of what could not be typed, usually null); `columns` reads only those
    (and `event_type`), each present even when nothing in the window has it. A column
    another type read does not have is null on its rows."""
    table = read_table(types, start, end, path=path, users=users, columns=columns,
                       registry=registry)
    # Free each Arrow column as it is converted, and hand the pool's pages back: the
    # result is then held once, not twice.
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    pa.default_memory_pool().release_unused()
    return frame


def records(frame: pd.DataFrame, registry: Registry = EVENTS) -> list[dict[str, Any]]:
    """Each row's own fields as a dict (its typed columns and its payload) with its
    `event_type`, one per row in the frame's order: what the event carried, for code written
    against the contracts' field names (`contracts.registry.toucher`)."""
    out: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    if not len(frame):
        return out
    payloads = frame["payload"].tolist() if "payload" in frame.columns else None
    for event_type, where in frame.groupby("event_type", sort=False).indices.items():
        cols = columns_of(str(event_type), registry)
        names = [n for n in cols.fields if n in frame.columns]
        ints = {n for n in names if pa.types.is_integer(cols.fields[n])}
        values = {n: frame[n].iloc[where].tolist() for n in names}
        for j, i in enumerate(np.asarray(where).tolist()):
            row: dict[str, Any] = {"event_type": event_type}
            for n in names:
                v = values[n][j]
                if v is None or (isinstance(v, float) and v != v):
                    continue
                row[n] = int(v) if n in ints else v.tolist() if isinstance(v, np.ndarray) else v
            if payloads is not None and isinstance(p := payloads[i], str):
                row.update(orjson.loads(p))
            out[i] = row
    return out
