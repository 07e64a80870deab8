"""Online Retail invoices to orders and cancellations, on a slice written in the test."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

from contracts import parse_event
from launch.replay import online_retail

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
ROWS = [
    "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom",
    "536589,21777,,-10,2010-12-01 16:50:00,0.0,,United Kingdom",  # a write-off: no order
    "A563186,B,Adjust bad debt,1,2011-08-12 14:51:00,-11062.06,,United Kingdom",
    "550193,PADS,PADS TO MATCH ALL CUSHIONS,1,2011-04-15 09:27:00,0.001,13952.0,United Kingdom",
    "550193,22423,REGENCY CAKESTAND,2,2011-04-15 09:27:00,12.75,13952.0,United Kingdom",
    "536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,,United Kingdom",
]


def write(tmp_path: Path, rows: list[str] = ROWS) -> Path:
    path = tmp_path / "retail.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write(HEADER + "\n".join(rows) + "\n")
    return path


def test_invoices_become_orders_and_cancellations(tmp_path: Path) -> None:
    events = online_retail.load(write(tmp_path))
    assert [(e["event_type"], e["order_id"]) for e in events] == [
        ("order_placed", "536365"), ("order_placed", "536366"),
        ("order_cancelled", "C536379"), ("order_placed", "550193")]
    first = events[0]
    assert first["user_id"] == "retail-17850"
    assert first["total"] == round(6 * 2.55 + 6 * 3.39, 2)
    assert [ln["product_id"] for ln in first["lines"]] == ["85123A", "71053"]
    assert events[1]["user_id"] is None
    assert events[3]["total"] == 25.5  # 0.001 + 25.5 rounded to the penny
    for ev in events:
        parse_event(ev)


def test_local_time_is_converted_to_utc(tmp_path: Path) -> None:
    events = {e["order_id"]: e for e in online_retail.load(write(tmp_path))}
    assert events["536365"]["occurred_at"] == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)  # GMT
    assert events["550193"]["occurred_at"] == datetime(2011, 4, 15, 8, 27, tzinfo=UTC)  # BST


def test_event_ids_are_deterministic(tmp_path: Path) -> None:
    path = write(tmp_path)
    once = [e["event_id"] for e in online_retail.load(path)]
    again = [e["event_id"] for e in online_retail.load(path)]
    assert once == again and len(set(once)) == len(once)


def test_a_folder_is_read_like_its_csv(tmp_path: Path) -> None:
    write(tmp_path)
    assert len(online_retail.load(tmp_path)) == 4
