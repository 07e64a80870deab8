"""Reads with the filters pushed down return what a full read filtered in memory would."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from features.lake import compact, read_events, write_rows
from tests.unit.features.test_lake_maintenance import T0, TYPES, row


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 80), st.integers(0, 3), st.integers(0, 2),
                          st.integers(0, 5)), min_size=1, max_size=60),
       st.sets(st.sampled_from(TYPES), min_size=1), st.integers(0, 3), st.integers(0, 4),
       st.sets(st.integers(0, 5)), st.booleans())
def test_filters_match_a_filtered_full_read(events: list[tuple[int, int, int, int]],
                                            types: set[str], first: int, days: int,
                                            users: set[int], compacted: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = {n: row(n, day=d, kind=k, user=u) for n, d, k, u in events}
        half = len(rows) // 2
        write_rows(tmp, list(rows.values())[:half + 1])
        write_rows(tmp, list(rows.values())[half:])  # one event in two files
        if compacted:
            compact(tmp)
        start = T0 + timedelta(days=first, hours=6)
        end = start + timedelta(days=days)
        wanted = [f"u{u}" for u in sorted(users)]
        got = read_events(sorted(types), start, end, path=tmp, users=wanted,
                          columns=["event_id", "occurred_at", "user_id", "product_id"])
        full = read_events(path=tmp)
        want = full[full["event_type"].isin(types) & (full["occurred_at"] >= start)
                    & (full["occurred_at"] < end) & full["user_id"].isin(wanted)]
        assert got["event_id"].tolist() == want["event_id"].tolist()
        assert list(got.columns) == ["event_id", "occurred_at", "user_id", "product_id",
                                     "event_type"]  # as asked, whatever the window held


def test_an_empty_read_has_the_asked_columns(tmp_path: Path) -> None:
    write_rows(tmp_path, [row(1)])
    frame = read_events(["order_placed"], path=tmp_path, columns=["event_id", "total"])
    assert frame.empty and list(frame.columns) == ["event_id", "total", "event_type"]
    assert str(frame["total"].dtype) == "float64"  # typed as the contract declares it
