"""Compaction (each event once, atomic for readers) and retention of the lake."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from features.lake import compact, expire, lake_row, read_events, write_rows
from features.lake.reading import partitions

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TYPES = ("product_viewed", "cart_item_added", "order_placed")


def row(n: int, *, day: int = 0, kind: int = 0, user: int = 0) -> dict[str, Any]:
    event_type = TYPES[kind]
    fields: dict[str, Any] = {"product_id": f"p{n % 7}"}
    if event_type == "product_viewed":
        fields |= {"category": "c1", "price": 2.5}
    elif event_type == "cart_item_added":
        fields |= {"quantity": 1 + n % 3, "unit_price": 2.5}
    else:
        fields = {"order_id": f"o{n}", "total": 5.0, "currency": "EUR",
                  "lines": [{"product_id": f"p{n % 7}", "quantity": 2, "unit_price": 2.5}]}
    at = T0 + timedelta(days=day, seconds=n)
    return lake_row({"event_id": f"e{n}", "event_type": event_type,
                     "occurred_at": at.isoformat(), "user_id": f"u{user}", **fields},
                    None if event_type == "order_placed" else f"product:p{n % 7}")


# A batch is (event number, day, type, user); the same number is the same event, so batches
# that share numbers are at-least-once redeliveries across files.
batches = st.lists(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 2),
                                      st.integers(0, 2), st.integers(0, 4)),
                            min_size=1, max_size=30), min_size=1, max_size=6)


def _write(root: Path, spec: list[list[tuple[int, int, int, int]]]) -> dict[str, int]:
    """Write each batch as one flush; the first occurrence of a number fixes its event."""
    first: dict[int, tuple[int, int, int]] = {}
    for batch in spec:
        rows = []
        for n, day, kind, user in batch:
            day, kind, user = first.setdefault(n, (day, kind, user))
            rows.append(row(n, day=day, kind=kind, user=user))
        write_rows(root, rows)
    return {f"e{n}": user for n, (_, _, user) in first.items()}


@settings(max_examples=60, deadline=None)
@given(batches)
def test_compaction_keeps_every_event_exactly_once(spec: list[list[tuple[int, int, int, int]]]
                                                   ) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        users = _write(root, spec)
        before = read_events(path=root)
        report = compact(root)
        after = read_events(path=root)
        assert sorted(after["event_id"]) == sorted(users) == sorted(before["event_id"])
        assert report.rows_out == len(users) and report.rows_in >= len(users)
        for part in partitions(root):
            assert part.exact  # one compacted file: reads of it skip de-duplication
            ids = pq.read_table(part.files[0], columns=["event_id"])["event_id"].to_pylist()
            assert len(ids) == len(set(ids))  # exactly once in the file itself
        assert dict(zip(after["event_id"], after["user_id"], strict=True)) == {
            e: f"u{u}" for e, u in users.items()}
        assert before.drop(columns=["payload"]).equals(after.drop(columns=["payload"]))
        assert compact(root).partitions == 0  # nothing left to do


def test_a_crash_between_rename_and_delete_reads_exact(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_rows(root, [row(n) for n in range(10)])
    write_rows(root, [row(n) for n in range(5, 15)])
    saved = tmp_path / "saved"
    folder = partitions(root)[0].files[0].parent
    shutil.copytree(folder, saved)
    compact(root)
    for f in saved.glob("part-*.parquet"):  # the old files back beside the compacted one
        shutil.copy(f, folder / f.name)
    assert not partitions(root)[0].exact
    assert sorted(read_events(path=root)["event_id"]) == sorted(f"e{n}" for n in range(15))
    compact(root)
    assert partitions(root)[0].exact
    assert len(read_events(path=root)) == 15


def test_readers_never_see_a_row_twice_while_compacting(tmp_path: Path) -> None:
    stop = threading.Event()
    seen: list[Counter[str]] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                seen.append(Counter(read_events(path=tmp_path)["event_id"]))
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for flush in range(30):  # every flush repeats the previous one's events, then a compaction
            write_rows(tmp_path, [row(n) for n in range(flush * 5, flush * 5 + 10)])
            compact(tmp_path)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert seen and all(max(c.values(), default=1) == 1 for c in seen)
    assert len(read_events(path=tmp_path)) == 29 * 5 + 10


def test_retention_drops_old_dates_only(tmp_path: Path) -> None:
    write_rows(tmp_path, [row(n, day=n % 10) for n in range(40)])
    today = (T0 + timedelta(days=9)).date()
    assert expire(tmp_path, keep_days=3, today=today) == [
        (T0 + timedelta(days=d)).date().isoformat() for d in range(7)]
    left = read_events(path=tmp_path)
    assert sorted(set(left["occurred_at"].dt.date)) == [
        (T0 + timedelta(days=d)).date() for d in (7, 8, 9)]
    assert len(left) == 12
    assert expire(tmp_path, keep_days=3, today=today) == []
    assert not list(tmp_path.glob(".expired-*"))


def test_compaction_before_a_date_leaves_today_alone(tmp_path: Path) -> None:
    write_rows(tmp_path, [row(n, day=n % 2) for n in range(10)])
    write_rows(tmp_path, [row(n, day=n % 2) for n in range(10)])
    compact(tmp_path, before=date(2026, 11, 2))
    exact = {p.day: p.exact for p in partitions(tmp_path)}
    assert exact == {"2026-11-01": True, "2026-11-02": False}
    assert len(read_events(path=tmp_path)) == 10
