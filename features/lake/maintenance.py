"""Keeping the lake small and exact: compaction to one file per partition, and retention.

`compact` rewrites a partition's files as one `compacted-*` file: each event once (the first
row of each `event_id`), sorted by user and time so reads by user skip most row groups. The
new file is renamed in before the old ones are deleted, so a reader sees either the old files
(and de-duplicates them, as it does any partition of several files) or the new one; a reader
whose listed file vanished lists again. A crash in between leaves both, which reads
de-duplicate and the next compaction folds. A flush landing during a compaction is a new
`part-*` file the compaction did not list: it stays, and the next compaction takes it.

`expire` drops whole date partitions older than the retention: renamed to a hidden name
first (readers stop listing it at once), then deleted.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.registry import EVENTS, Registry
from features.lake.columns import schema_of
from features.lake.files import COMPACTED, write_table
from features.lake.reading import Partition, distinct, partitions

log = logging.getLogger(__name__)
LOCK = ".compact.lock"


@dataclass(frozen=True, kw_only=True)
class CompactionReport:
    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows_in: int = 0
    rows_out: int = 0


def compact_partition(part: Partition, registry: Registry = EVENTS) -> tuple[int, int] | None:
    """Rewrite one partition as one exact file; (rows read, rows kept), or None when another
    compaction holds it."""
    folder = part.files[0].parent
    with (folder / LOCK).open("a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        # Never drop a column: the files' own schemas (an older or wider registry's) and
        # the contract's, unified.
        files = [f for f in part.files if f.exists()]
        if not files:
            return None
        schema = pa.unify_schemas([schema_of(part.event_type, registry),
                                   *(pq.read_schema(f) for f in files)],
                                  promote_options="permissive")
        tables = [pq.read_table(f, partitioning=None).cast(_widen(pq.read_schema(f), schema))
                  for f in files]
        table = pa.concat_tables(tables, promote_options="permissive").select(schema.names)
        rows_in = table.num_rows
        table = distinct(table).sort_by([("user_id", "ascending"),
                                         ("occurred_at", "ascending")])
        write_table(folder, table, prefix=COMPACTED)
        for f in files:
            f.unlink(missing_ok=True)
        return rows_in, table.num_rows


def _widen(own: pa.Schema, unified: pa.Schema) -> pa.Schema:
    return pa.schema([unified.field(name) for name in own.names])


def compact(root: str | Path, *, types: Sequence[str] | None = None,
            before: date | None = None, registry: Registry = EVENTS) -> CompactionReport:
    """Compact every partition (of `types`, dated before `before`) that is not already one
    compacted file. Run it off the event loop: it reads and writes whole partitions."""
    last = None if before is None else (before - timedelta(days=1)).isoformat()
    todo = [p for p in partitions(Path(root), types, None, last) if not p.exact]
    done = files_before = rows_in = rows_out = 0
    for part in todo:
        result = compact_partition(part, registry)
        if result is None:
            continue
        done += 1
        files_before += len(part.files)
        rows_in += result[0]
        rows_out += result[1]
    if done:
        log.info("lake: compacted %d partitions (%d files, %d rows -> %d)", done,
                 files_before, rows_in, rows_out)
    return CompactionReport(partitions=done, files_before=files_before, files_after=done,
                            rows_in=rows_in, rows_out=rows_out)


def expire(root: str | Path, *, keep_days: int, today: date | None = None) -> list[str]:
    """Delete the date partitions older than `keep_days` days before `today` (UTC); returns
    their dates. `keep_days=1` keeps today only."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    today = today or datetime.now(UTC).date()
    oldest = (today - timedelta(days=keep_days - 1)).isoformat()
    gone = []
    for day_dir in sorted(Path(root).glob("event_date=*")):
        day = day_dir.name.split("=", 1)[1]
        if day >= oldest:
            continue
        hidden = day_dir.with_name(f".expired-{uuid.uuid4().hex}-{day_dir.name}")
        os.replace(day_dir, hidden)
        shutil.rmtree(hidden, ignore_errors=True)
        gone.append(day)
    for left in Path(root).glob(".expired-*"):  # a crash between rename and delete
        shutil.rmtree(left, ignore_errors=True)
    if gone:
        log.info("lake: expired %d date partitions before %s", len(gone), oldest)
    return gone


def maintain(root: str | Path, *, retention_days: int | None,
             today: date | None = None) -> tuple[CompactionReport, list[str]]:
    """What the worker runs periodically: expire past the retention, then compact every date
    before today (today's partitions still take flushes)."""
    today = today or datetime.now(UTC).date()
    gone = [] if retention_days is None else expire(root, keep_days=retention_days,
                                                    today=today)
    return compact(root, before=today), gone
