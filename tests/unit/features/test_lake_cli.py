"""`agora lake compact` and `agora lake expire`, and the worker's periodic `maintain`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from features.lake import maintain, read_events, write_rows
from features.lake.reading import partitions
from launch.cli import main
from tests.unit.features.test_lake_maintenance import T0, row


def test_compact_then_expire_from_the_command_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        write_rows(tmp_path, [row(n, day=n % 4) for n in range(20)])
    assert main(["lake", "compact", "--all", "--path", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["partitions"] == 4 and report["rows_in"] == 40 and report["rows_out"] == 20
    assert all(p.exact for p in partitions(tmp_path))
    assert main(["lake", "expire", "--days", "100000", "--path", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"expired": []}
    assert main(["lake", "expire", "--days", "1", "--path", str(tmp_path)]) == 0
    assert len(json.loads(capsys.readouterr().out)["expired"]) == 4
    assert read_events(path=tmp_path).empty


def test_expire_needs_a_retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGORA_LAKE_RETENTION_DAYS", raising=False)
    assert main(["lake", "expire", "--path", str(tmp_path)]) == 2


def test_maintain_expires_and_leaves_today_to_the_flushes(tmp_path: Path) -> None:
    for _ in range(2):
        write_rows(tmp_path, [row(n, day=n % 5) for n in range(25)])
    today = (T0 + timedelta(days=4)).date()
    report, gone = maintain(tmp_path, retention_days=3, today=today)
    assert gone == [(T0 + timedelta(days=d)).date().isoformat() for d in (0, 1)]
    assert {p.day: p.exact for p in partitions(tmp_path)} == {
        (T0 + timedelta(days=d)).date().isoformat(): d < 4 for d in (2, 3, 4)}
    assert report.rows_out == 10 and len(read_events(path=tmp_path)) == 15
