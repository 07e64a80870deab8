"""features.lake.read_events while a writer has made its folders but renamed no file in yet."""

from __future__ import annotations

from pathlib import Path

from features.lake import read_events


def test_folders_without_files_read_as_an_empty_lake(tmp_path: Path) -> None:
    folder = tmp_path / "event_date=2026-12-02" / "event_type=product_viewed"
    folder.mkdir(parents=True)
    (folder / ".part-0.parquet.tmp").write_bytes(b"PAR1")  # a hidden, half-written file
    frame = read_events(path=tmp_path)
    assert frame.empty and "event_id" in frame.columns
