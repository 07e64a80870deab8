"""UCI Online Retail order lines (InvoiceNo, StockCode, Description, Quantity, ...)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# Online Retail II names its columns differently; both files read the same way.
RENAMES = {"Invoice": "InvoiceNo", "Customer ID": "CustomerID", "Price": "UnitPrice"}


def load_online_retail(path: str | Path) -> pd.DataFrame:
    """Purchase lines by known customers: user_id, item_id, timestamp, weight, description.

    Cancellations (invoice `C...`), returns (quantity <= 0) and anonymous lines are dropped.
    """
    frame = pd.read_csv(path, dtype=str).rename(columns=RENAMES)
    frame["Quantity"] = pd.to_numeric(frame["Quantity"], errors="coerce").fillna(0)
    frame = frame[frame["CustomerID"].notna() & (frame["Quantity"] > 0)
                  & ~frame["InvoiceNo"].str.startswith("C")]
    return pd.DataFrame({
        "user_id": frame["CustomerID"].str.replace(r"\.0$", "", regex=True),
        "item_id": frame["StockCode"].str.upper(),
        "timestamp": pd.to_datetime(frame["InvoiceDate"], utc=True),
        "weight": 1.0,
        "description": frame["Description"].fillna(""),
    }).reset_index(drop=True)


def item_texts(frame: pd.DataFrame) -> dict[str, str]:
    """The most frequent description of each stock code."""
    texts = frame.groupby("item_id")["description"].agg(
        lambda s: s.value_counts().index[0] if len(s) else "")
    return {str(k): str(v) for k, v in texts.items()}
