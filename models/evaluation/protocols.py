"""The published protocols behind `agora evaluate`, from data files to a metrics report."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from models.catalog import build
from models.datasets.movielens import load_movielens, load_movielens_items
from models.datasets.online_retail import item_texts, load_online_retail
from models.evaluation.harness import SideInfo, evaluate
from models.evaluation.splits import Split, stratified_split
from models.tuning import tune

log = logging.getLogger(__name__)

REPORTED = ("ndcg", "precision", "recall", "map")
DEFAULT_MODELS = ("popularity", "popularity_category", "item_knn", "item_knn_bm25", "rp3beta",
                  "ease", "als", "bpr", "content", "hybrid")


@dataclass(frozen=True, kw_only=True)
class Protocol:
    dataset: str
    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    side: SideInfo
    exclude_seen: bool = True

    def carve(self, train: pd.DataFrame) -> Split:
        """A validation split of `train` made the way the test split was made."""
        if self.dataset == "movielens-100k":
            return stratified_split(train, ratio=0.75, filter_by="item", seed=7)
        return last_month_split(train)


def movielens_protocol(path: str | Path) -> Protocol:
    ratings = load_movielens(path)
    train, test = stratified_split(ratings, ratio=0.75, filter_by="item", seed=42)
    texts, categories = load_movielens_items(path)
    return Protocol(dataset="movielens-100k",
                    name="python_stratified_split(ratio=0.75, filter_by='item', seed=42); "
                         "all test ratings relevant; seen items removed; binary-gain nDCG",
                    train=train, test=test, side=SideInfo(texts=texts, categories=categories))


def last_month_split(frame: pd.DataFrame) -> Split:
    """Train before the last 30 days, test = the last 30 days by users seen in train."""
    cut = frame["timestamp"].max() - pd.Timedelta(days=30)
    train, test = frame[frame["timestamp"] < cut], frame[frame["timestamp"] >= cut]
    return train, test[test["user_id"].isin(set(train["user_id"]))]


def online_retail_protocol(path: str | Path, test_path: str | Path | None = None) -> Protocol:
    lines = load_online_retail(path)
    if test_path is None:
        train, test = last_month_split(lines)
        how = "last 30 days of the file"
    else:
        train, test = lines, load_online_retail(test_path)
        test = test[test["user_id"].isin(set(train["user_id"]))]
        how = "purchases in the test file"
    return Protocol(dataset="online-retail",
                    name=f"train on purchases before the test window; test = {how} by "
                         "customers seen in training; repeat purchases count as hits",
                    train=train, test=test, side=SideInfo(texts=item_texts(lines)),
                    exclude_seen=False)


def run(protocol: Protocol, models: Sequence[str] = DEFAULT_MODELS, *, k: int = 10,
        tuned: bool = True, progress: bool = True) -> dict[str, Any]:
    """Tune each model on a validation split of train, refit on train, score on test."""
    report: dict[str, Any] = {"dataset": protocol.dataset, "protocol": protocol.name,
                              "k": k, "models": {}}
    for name in tqdm(models, desc="models", disable=not progress):
        params: dict[str, Any] = {}
        started, parts_fit = time.perf_counter(), None
        if tuned:
            result = tune(name, protocol.train, carve=protocol.carve, k=k, side=protocol.side,
                          exclude_seen=protocol.exclude_seen)
            params, parts_fit = result.params, result.fit_seconds
        tune_seconds = time.perf_counter() - started
        metrics = evaluate(build(name, **params), protocol.train, protocol.test, k=k,
                           side=protocol.side, exclude_seen=protocol.exclude_seen)
        entry = {f"{m}@{k}": round(metrics[f"{m}@{k}"], 6) for m in REPORTED}
        entry["coverage"] = round(metrics["coverage"], 6)
        entry["train_seconds"] = round(metrics["train_seconds"], 4)
        entry["tune_seconds"] = round(tune_seconds, 4)
        if parts_fit is not None:  # the same run's fits of the parts, beside the search
            entry["tune_parts_fit_seconds"] = round(parts_fit, 4)
        report["models"][name] = entry
        log.info("%s %s params=%s", name, entry, params)
    return report
