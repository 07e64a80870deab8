"""The table layouts bench.lake measures, each holding the same flushes: `Arrow` (features.lake
as it is), `Baseline` (its read before pushed-down filters), `Delta` (delta-rs) and `Duck`
(DuckDB over the same folder layout).
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake

from bench.scale_traffic import EVENT_TYPES
from features.lake import compact, expire, read_table
from features.lake.files import partition_dir, write_table
from features.lake.reading import distinct

Query = dict[str, Any]


class Candidate(Protocol):
    name: str
    root: Path

    def append(self, parts: list[tuple[str, str, pa.Table]]) -> None: ...
    def files(self) -> int: ...
    def compact(self) -> None: ...
    def expire(self, before: str, last: str) -> None: ...
    def read(self, q: Query) -> int: ...


def disk_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


class Arrow:
    name = "pyarrow"

    def __init__(self, root: Path) -> None:
        self.root = root

    def append(self, parts: list[tuple[str, str, pa.Table]]) -> None:
        for day, event_type, table in parts:
            write_table(partition_dir(self.root, day, event_type), table)

    def files(self) -> int:
        return len(list(self.root.rglob("*.parquet")))

    def compact(self) -> None:
        compact(self.root)

    def expire(self, before: str, last: str) -> None:
        keep = (date.fromisoformat(last) - date.fromisoformat(before)).days + 1
        expire(self.root, keep_days=keep, today=date.fromisoformat(last))

    def read(self, q: Query) -> int:
        return read_table(q["types"], q["start"], q["end"], path=self.root,
                          users=q["users"]).num_rows


class Baseline(Arrow):
    """The read before this change: whole partitions, then pandas de-duplicates and filters."""

    name = "baseline"

    def read(self, q: Query) -> int:
        frame = read_table(q["types"], q["start"], q["end"], path=self.root).to_pandas()
        frame = frame.drop_duplicates("event_id")
        if q["users"] is not None:
            frame = frame[frame["user_id"].isin(q["users"])]
        return len(frame)


class Delta:
    name = "deltalake"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, event_type: str) -> str:
        return str(self.root / event_type)

    def append(self, parts: list[tuple[str, str, pa.Table]]) -> None:
        by_type: dict[str, list[pa.Table]] = {}
        for day, event_type, table in parts:
            by_type.setdefault(event_type, []).append(
                table.append_column("event_date", pa.array([day] * table.num_rows)))
        for event_type, tables in by_type.items():  # one commit per type table per flush
            write_deltalake(self._path(event_type), pa.concat_tables(tables), mode="append",
                            partition_by=["event_date"])

    def files(self) -> int:
        return sum(len(DeltaTable(self._path(t)).file_uris()) for t in EVENT_TYPES
                   if (self.root / t).exists())

    def compact(self) -> None:
        for event_type in EVENT_TYPES:
            dt = DeltaTable(self._path(event_type))
            for part in dt.partitions():
                day = part["event_date"]
                table = dt.to_pyarrow_dataset(
                    file_pruning_predicate=[("event_date", "=", day)]).to_table()
                table = distinct(table).sort_by([("user_id", "ascending"),
                                                 ("occurred_at", "ascending")])
                write_deltalake(dt, table, mode="overwrite",
                                predicate=f"event_date = '{day}'", partition_by=["event_date"])
            dt = DeltaTable(self._path(event_type))
            dt.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False)

    def expire(self, before: str, last: str) -> None:
        for event_type in EVENT_TYPES:
            dt = DeltaTable(self._path(event_type))
            dt.delete(f"event_date < '{before}'")
            dt.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False)

    def read(self, q: Query) -> int:
        rows = 0
        for event_type in q["types"] or EVENT_TYPES:
            dt = DeltaTable(self._path(event_type))
            parts = None
            if q["start"] is not None:
                parts = [("event_date", ">=", q["start"][:10]), ("event_date", "<=", q["last"])]
            cond = _arrow_filter(q)
            table = dt.to_pyarrow_dataset(file_pruning_predicate=parts).to_table(filter=cond)
            rows += distinct(table).num_rows if not q["compacted"] else table.num_rows
        return rows


def _arrow_filter(q: Query) -> ds.Expression | None:
    cond = None
    if q["start"] is not None:
        ts = pa.timestamp("us", tz="UTC")
        cond = ((ds.field("occurred_at") >= pa.scalar(q["start_ts"], ts))
                & (ds.field("occurred_at") < pa.scalar(q["end_ts"], ts)))
    if q["users"] is not None:
        c = ds.field("user_id").isin(q["users"])
        cond = c if cond is None else cond & c
    return cond


class Duck:
    name = "duckdb"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.con = duckdb.connect()
        self.con.execute("SET threads = 2")

    def append(self, parts: list[tuple[str, str, pa.Table]]) -> None:
        for day, event_type, table in parts:
            folder = partition_dir(self.root, day, event_type)
            folder.mkdir(parents=True, exist_ok=True)
            name = f"part-{uuid.uuid4().hex}.parquet"
            self.con.register("flush", table)
            self.con.execute(f"COPY flush TO '{folder / ('.' + name)}' "
                             "(FORMAT parquet, COMPRESSION zstd)")
            self.con.unregister("flush")
            os.replace(folder / f".{name}", folder / name)

    def files(self) -> int:
        return len(list(self.root.rglob("*.parquet")))

    def compact(self) -> None:
        for folder in sorted(self.root.glob("event_date=*/event_type=*")):
            old = sorted(folder.glob("*.parquet"))
            if len(old) < 2 and (not old or old[0].name.startswith("compacted-")):
                continue
            name = f"compacted-{uuid.uuid4().hex}.parquet"
            files = ", ".join(f"'{f}'" for f in old)
            self.con.execute(
                f"COPY (SELECT * FROM read_parquet([{files}]) "
                "QUALIFY row_number() OVER (PARTITION BY event_id) = 1 "
                f"ORDER BY user_id, occurred_at) TO '{folder / ('.' + name)}' "
                "(FORMAT parquet, COMPRESSION zstd)")
            os.replace(folder / f".{name}", folder / name)
            for f in old:
                f.unlink()

    def expire(self, before: str, last: str) -> None:
        for day_dir in self.root.glob("event_date=*"):
            if day_dir.name.split("=", 1)[1] < before:
                shutil.rmtree(day_dir)

    def read(self, q: Query) -> int:
        where, args = [], []
        types = q["types"] or list(EVENT_TYPES)
        if q["start"] is not None:
            where.append("event_date >= ? AND event_date <= ? AND occurred_at >= ? "
                         "AND occurred_at < ?")
            args += [q["start"][:10], q["last"], q["start_ts"], q["end_ts"]]
        if q["users"] is not None:
            where.append("user_id IN (SELECT unnest(?))")
            args.append(q["users"])
        rows = 0
        for event_type in types:  # one schema per type, as the lake's reader does
            glob = str(self.root / "event_date=*" / f"event_type={event_type}" / "*.parquet")
            sql = (f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
                   + (" WHERE " + " AND ".join(where) if where else ""))
            if not q["compacted"]:
                sql = f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY event_id) = 1"
            try:
                rows += self.con.sql(sql, params=args).to_arrow_table().num_rows
            except duckdb.IOException:  # no file of that type in the range
                continue
        return rows
