from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.datasets.movielens import load_movielens, load_movielens_items
from models.datasets.online_retail import item_texts, load_online_retail


def test_movielens_formats(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "u.data").write_text("1\t10\t4\t880000000\n2\t11\t3\t880000001\n")
    (tmp_path / "a" / "u.item").write_text("10|Heat (1995)|x|y|z|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0"
                                           "|0|0|0\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ratings.dat").write_text("1::10::4::880000000\n")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,10,4.5,1\n")
    for folder in ("a", "b", "c"):
        frame = load_movielens(tmp_path / folder)
        assert list(frame.columns) == ["user_id", "item_id", "rating", "timestamp"]
        assert frame.loc[0, "item_id"] == "10"
    texts, cats = load_movielens_items(tmp_path / "a")
    assert texts["10"] == "Heat (1995) Action" and cats["10"] == "Action"
    assert load_movielens_items(tmp_path / "b") == ({}, {})


def test_online_retail_drops_cancellations_returns_and_anonymous(tmp_path: Path) -> None:
    file = tmp_path / "retail.csv"
    pd.DataFrame({
        "Invoice": ["1", "C2", "3", "4"], "StockCode": ["a1", "a1", "b2", "c3"],
        "Description": ["MUG", "MUG", "CUP", "JAR"], "Quantity": [2, -2, -1, 1],
        "InvoiceDate": ["2011-01-01 10:00"] * 4, "Price": [1.0] * 4,
        "Customer ID": ["12.0", "12.0", "13.0", None], "Country": ["UK"] * 4,
    }).to_csv(file, index=False)
    lines = load_online_retail(file)
    assert lines[["user_id", "item_id"]].values.tolist() == [["12", "A1"]]
    assert item_texts(lines) == {"A1": "MUG"}
