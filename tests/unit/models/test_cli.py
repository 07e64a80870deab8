"""`agora evaluate` through the argparse wiring that launch/cli.py uses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.cli import register


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def _movielens(folder: Path, users: int = 40, items: int = 30, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    rows = [(u, i, int(rng.integers(1, 6)), 880000000 + n)
            for n, (u, i) in enumerate((u, i) for u in range(1, users + 1)
                                       for i in range(1, items + 1)
                                       if (u + i) % 3 == 0 or rng.random() < 0.1)]
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / "u.data", sep="\t", header=False, index=False)
    return folder


def test_evaluate_movielens_prints_the_report(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = _movielens(tmp_path / "ml")
    args = _parser().parse_args(["evaluate", "--dataset", "movielens-100k", "--path",
                                 str(folder), "--model", "popularity", "--model", "ease",
                                 "--json"])
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"dataset", "protocol", "k", "models"}
    assert report["dataset"] == "movielens-100k" and report["k"] == 10
    assert set(report["models"]) == {"popularity", "ease"}
    assert set(report["models"]["ease"]) == {"ndcg@10", "precision@10", "recall@10", "map@10",
                                             "coverage", "train_seconds", "tune_seconds"}
    assert report["models"]["ease"]["ndcg@10"] > report["models"]["popularity"]["ndcg@10"]


def test_evaluate_online_retail_with_a_test_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    def lines(month: int, n: int) -> pd.DataFrame:
        rng = np.random.default_rng(month)
        return pd.DataFrame({
            "InvoiceNo": [f"5{month}{i:04d}" for i in range(n)],
            "StockCode": [f"S{(c % 7) + 3 * (c % 2)}" for c in rng.integers(0, 50, n)],
            "Description": ["RED MUG"] * n, "Quantity": rng.integers(1, 5, n),
            "InvoiceDate": [f"2011-{month:02d}-{1 + i % 27:02d} 10:00:00" for i in range(n)],
            "UnitPrice": 1.5, "CustomerID": [f"{1000 + i % 15}.0" for i in range(n)],
            "Country": "United Kingdom"})

    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    lines(1, 300).to_csv(train, index=False)
    lines(2, 80).to_csv(test, index=False)
    args = _parser().parse_args(["evaluate", "--dataset", "online-retail", "--path", str(train),
                                 "--test-path", str(test), "--model", "item_knn", "--no-tune",
                                 "--json"])
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "online-retail"
    assert 0.0 <= report["models"]["item_knn"]["precision@10"] <= 1.0


def test_train_takes_promote_or_challenger_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    parser = _parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--promote", "--challenger"])
    assert "not allowed with" in capsys.readouterr().err
    args = parser.parse_args(["train", "--model", "health-heart", "--challenger"])
    assert args.func(args) == 2
    assert "for recommenders" in capsys.readouterr().err
