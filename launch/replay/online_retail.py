"""UCI Online Retail: one `order_placed` per invoice, one `order_cancelled` per cancellation.

- An invoice (`InvoiceNo` of digits) becomes `order_placed` with `order_id` the invoice number,
  one line per row with a positive quantity and a non-negative price, `total` the sum of
  quantity times price rounded to the penny, currency GBP. Rows with a quantity ≤ 0 outside a
  cancellation are stock write-offs without a customer or a price: they are not orders and are
  left out (so is an invoice left with no line).
- An invoice starting with `C` becomes `order_cancelled` with `order_id` that number (the data
  does not say which order it cancels).
- Other invoices (`A…`, bad-debt adjustments with negative prices) are left out.
- `InvoiceDate` is the shop's local time (Europe/London) and is converted to UTC.
- `user_id` is `retail-<CustomerID>`, or null for the anonymous invoices.

No `inventory_adjusted` is emitted: the data has no stock levels, and the contract's `on_hand`
would have to be invented. The worker's units sold per product come from the order lines.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from launch.replay.source import ReplayEvent, by_time, event_id

CURRENCY = "GBP"
TIMEZONE = "Europe/London"
COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID", "Country")


def read_lines(path: Path) -> pd.DataFrame:
    """The CSV (plain or .gz; `path` may be the file or its folder), dates in UTC."""
    if path.is_dir():
        path = next(p for p in sorted(path.iterdir()) if p.name.endswith((".csv", ".csv.gz")))
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "Description": str,
                                  "CustomerID": str, "Country": str},
                     keep_default_na=False, na_values={"Quantity": [""], "UnitPrice": [""]})
    missing = set(COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    local = pd.to_datetime(df["InvoiceDate"])
    df["ts"] = local.dt.tz_localize(TIMEZONE, ambiguous=np.ones(len(df), dtype=bool),
                                    nonexistent="shift_forward").dt.tz_convert("UTC")
    return df


def customer(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    return f"retail-{value[:-2] if value.endswith('.0') else value}"


def is_order_line(quantity: float, price: float) -> bool:
    return quantity > 0 and price >= 0


def invoice_events(df: pd.DataFrame) -> Iterable[ReplayEvent]:
    """One event per invoice (see the module doc), invoices in order of first appearance."""
    codes, _ = pd.factorize(df["InvoiceNo"])
    order = np.argsort(codes, kind="stable")
    inv = df["InvoiceNo"].to_numpy()[order].tolist()
    stock = df["StockCode"].to_numpy()[order].tolist()
    qty = df["Quantity"].to_numpy()[order].tolist()
    price = df["UnitPrice"].to_numpy()[order].tolist()
    cust = df["CustomerID"].to_numpy()[order].tolist()
    secs = ((df["ts"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy()[order]
    bounds = [0, *(np.flatnonzero(codes[order][1:] != codes[order][:-1]) + 1).tolist(), len(inv)]
    for a, b in itertools.pairwise(bounds):
        no = str(inv[a])
        base = {"event_id": event_id("online-retail", "invoice", no),
                "occurred_at": datetime.fromtimestamp(int(secs[a:b].min()), UTC),
                "user_id": customer(str(cust[a])), "session_id": None, "order_id": no}
        if no.startswith("C"):
            yield {**base, "event_type": "order_cancelled"}
            continue
        if not no.isdigit():
            continue
        kept = [i for i in range(a, b) if is_order_line(qty[i], price[i])]
        if not kept:
            continue
        lines = [{"product_id": str(stock[i]), "quantity": int(qty[i]),
                  "unit_price": float(price[i])} for i in kept]
        total = round(math.fsum(int(qty[i]) * float(price[i]) for i in kept), 2)
        yield {**base, "event_type": "order_placed", "lines": lines, "total": total,
               "currency": CURRENCY}


def load(path: Path) -> list[ReplayEvent]:
    """`path`: the CSV(.gz) or its folder. Orders and cancellations, by time."""
    return by_time(list(invoice_events(read_lines(path))))

