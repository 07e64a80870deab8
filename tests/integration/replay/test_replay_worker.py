"""An Online Retail slice replayed into the real broker and worker: the live totals equal a
pandas computation on the same slice, and replaying it twice changes nothing exact."""

from __future__ import annotations

import asyncio
import gzip
import time
import uuid
from pathlib import Path

import pytest

from bench.replay import RETAIL_FIELDS, retail_expected
from bench.workers import Worker
from features import kpis as k
from features.online.sqlite_store import SqliteStore
from launch.broker import EmbeddedBroker
from launch.replay import online_retail
from launch.replay.runner import replay

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def slice_csv(path: Path, invoices: int = 60) -> Path:
    rows = []
    for i in range(invoices):
        day = 1 + i % 28
        cust = f"{12000 + i % 17}.0" if i % 5 else ""
        for j in range(1 + i % 4):
            rows.append(f"{540000 + i},P{(i * 7 + j) % 23},ITEM,{1 + (i + j) % 9},"
                        f"2011-03-{day:02d} 10:{j:02d}:00,{0.39 + 1.1 * j + 0.01 * i:.2f},"
                        f"{cust},United Kingdom")
        if i % 10 == 3:
            rows.append(f"C{550000 + i},P1,ITEM,-2,2011-03-{day:02d} 12:00:00,1.25,{cust},"
                        "United Kingdom")
        if i % 15 == 4:
            rows.append(f"{540000 + i},P2,damaged,-5,2011-03-{day:02d} 10:30:00,0,,"
                        "United Kingdom")
    with gzip.open(path, "wt") as f:
        f.write(HEADER + "\n".join(rows) + "\n")
    return path


async def totals_when(store: SqliteStore, expected: dict[str, int],
                      timeout_s: float = 45) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while True:
        totals = await k.read_totals(store)
        live = {name: int(totals.get(f, 0)) for name, f in RETAIL_FIELDS.items()}
        if live == expected or time.monotonic() > deadline:
            return live
        await asyncio.sleep(0.2)


async def test_replayed_slice_matches_pandas(broker: EmbeddedBroker, tmp_path: Path) -> None:
    csv = slice_csv(tmp_path / "retail.csv.gz")
    expected = retail_expected(csv)
    assert expected["orders"] == 60 and expected["cancelled"] == 6
    events = online_retail.load(csv)
    worker = Worker(bootstrap=broker.bootstrap, data_dir=tmp_path,
                    app_id=f"test-replay-{uuid.uuid4().hex[:8]}").start()
    store = SqliteStore(path=tmp_path / "online.db")
    try:
        report = await asyncio.to_thread(replay, events, bootstrap=broker.bootstrap)
        assert (report.produced, report.invalid) == (66, 0)
        assert await totals_when(store, expected) == expected
        # The same replay again: the same event ids, so the exact totals do not move.
        await asyncio.to_thread(replay, events, bootstrap=broker.bootstrap)
        deadline = time.monotonic() + 45
        while worker.processed().get("commerce", 0) < 2 * len(events):
            assert time.monotonic() < deadline, worker.processed()
            await asyncio.sleep(0.2)
        assert await totals_when(store, expected, timeout_s=0) == expected
    finally:
        worker.stop()
        await store.close()
