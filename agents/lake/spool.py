"""The Parquet lake sink: a local spool makes it at-least-once with files of sensible size.

Before a batch is acknowledged its valid events are appended to a spool segment (one
`write` per batch, newline-delimited JSON). A segment is turned into Parquet files (one per
event date and type, renamed into place atomically by `features.lake`) once it holds
`max_bytes` or is `max_age_s` old, then deleted. A crash leaves the segment behind; whoever
starts next converts it (a held `flock` marks a segment as live). A crash between the rename
and the delete writes some events twice: `read_events` de-duplicates by `event_id` every
partition that is not a single compacted file, and compaction (`features.lake.compact`) folds
them into one file holding each event once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import orjson

from contracts import item_of
from features.lake import lake_row, write_rows

log = logging.getLogger(__name__)


def convert_segment(segment: Path, lake_root: Path) -> int:
    """Write a segment's events into the lake; returns the number of files written."""
    rows = []
    with segment.open("rb") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a torn last line after a crash: its batch was never acked
            rows.append(lake_row(event, _item(event)))
    return len(write_rows(lake_root, rows)) if rows else 0


class _Item:
    def __init__(self, event: dict[str, object]) -> None:
        self.__dict__.update(event)


def _item(event: dict[str, object]) -> str | None:
    try:
        return item_of(_Item(event))
    except AttributeError:
        return None


class LakeSpool:
    def __init__(self, *, lake_root: str | Path, max_bytes: int = 64 << 20,
                 max_age_s: float = 60.0) -> None:
        self.lake_root = Path(lake_root)
        self.dir = self.lake_root / "_spool"
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._file: IO[bytes] | None = None
        self._path: Path | None = None
        self._opened = 0.0
        self._size = 0

    def _open(self) -> IO[bytes]:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._path = self.dir / f"{uuid.uuid4().hex}.ndjson"
        f = self._path.open("ab")
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file, self._opened, self._size = f, time.monotonic(), 0
        return f

    def append(self, raws: Iterable[bytes]) -> None:
        """Append valid events (their original JSON); durable against a process crash."""
        data = b"".join(r.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n" for r in raws)
        if not data:
            return
        f = self._file or self._open()
        f.write(data)
        f.flush()  # in the OS page cache: survives kill -9 of this process
        self._size += len(data)

    def due(self) -> bool:
        return self._file is not None and (
            self._size >= self.max_bytes or time.monotonic() - self._opened >= self.max_age_s)

    def rotate(self) -> Path | None:
        """Close the current segment and return it for conversion."""
        f, path = self._file, self._path
        if f is None or path is None:
            return None
        os.fsync(f.fileno())
        f.close()  # releases the lock
        self._file = self._path = None
        return path

    def orphans(self) -> list[Path]:
        """Segments nobody holds: left by a crashed worker, or rotated and not converted."""
        if not self.dir.exists():
            return []
        out = []
        for path in sorted([*self.dir.glob("*.ndjson"), *self.dir.glob("*.converting")]):
            if path == self._path:
                continue
            try:
                with path.open("rb") as f:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    out.append(path)
            except (BlockingIOError, FileNotFoundError):
                continue
        return out

    def convert(self, segment: Path) -> int:
        """Segment → Parquet, then delete the segment (run it off the event loop)."""
        claimed = segment.with_suffix(".converting")
        try:
            if segment != claimed:
                os.replace(segment, claimed)  # one converter per segment, even across workers
            with claimed.open("rb") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                files = convert_segment(claimed, self.lake_root)
                claimed.unlink()
        except (FileNotFoundError, BlockingIOError):
            return 0
        log.info("lake: spool segment %s -> %d parquet files", segment.name, files)
        return files

    @property
    def pending_bytes(self) -> int:
        return self._size
