"""`agora trainer` on lakes made in code, MLflow on a temporary SQLite file, a fixed clock:
the holdout is the most recent slice and never overlaps what the models were fitted on; a
worse candidate is not promoted, a better one is, one failing its own checks never is."""

from __future__ import annotations

import logging
import random
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from agora.settings import RegistrySettings
from features.lake import write_rows
from launch.broker import free_port
from models.cost import Budget
from models.registry import alias_version
from models.trainer import Trainer, TrainerConfig, count_lake_events
from models.training_job import TrainRequest, holdout_split
from tests.unit.models.lake_data import T0, event

CLUSTERS, ITEMS_PER_CLUSTER, USERS, DAYS = 4, 6, 24, 14


@pytest.fixture()
def registry(tmp_path: Path) -> RegistrySettings:
    """MLflow on a SQLite file of the test's own (the default under its data dir)."""
    return RegistrySettings(data_dir=tmp_path / "var", mlflow_tracking_uri=None)


def clustered_lake(root: Path) -> Path:
    """Each user views products of their own cluster only: personal models beat popularity."""
    rng = random.Random(7)
    rows = []
    for d in range(DAYS):
        for u in range(USERS):
            cluster = u % CLUSTERS
            for n in range(3):
                p = cluster * ITEMS_PER_CLUSTER + rng.randrange(ITEMS_PER_CLUSTER)
                at = T0 + timedelta(days=d, hours=1 + n, minutes=u)
                rows.append(event("product_viewed", f"u{u}", at, f"product:p{p}",
                                  product_id=f"p{p}", category=f"c{cluster}", price=5.0))
    write_rows(root, rows)
    return root


def fixed(at: datetime) -> Trainer:
    return Trainer(config=TrainerConfig(lake_path=Path()), settings=RegistrySettings(),
                   clock=lambda: at)


@pytest.mark.parametrize("days", [6, 9, 14])
def test_holdout_never_overlaps_the_training_window(tmp_path: Path, days: int) -> None:
    lake = clustered_lake(tmp_path / "lake")
    now = T0 + timedelta(days=days, minutes=30)
    split = holdout_split(TrainRequest(lake_path=lake, cutoff=now, validation_share=0.25),
                          settings=RegistrySettings(data_dir=tmp_path))
    events = split.training.events
    times = pd.to_datetime(events["occurred_at"], utc=True)
    assert times.max() < now  # nothing from after the clock
    assert split.fit_end < split.holdout_start <= split.holdout_end < now
    held = events[times >= split.holdout_start]
    assert len(held) == pytest.approx(0.25 * len(events), rel=0.2)  # the most recent slice
    fitted = set(zip(split.fit.user_ids[split.fit.matrix.nonzero()[0]],
                     split.fit.item_ids[split.fit.matrix.nonzero()[1]], strict=True))
    only_in_holdout = {(u, i) for u, i in zip(held["user_id"], held["item_id"], strict=True)
                       if not ((times < split.holdout_start)
                               & (events["user_id"] == u) & (events["item_id"] == i)).any()}
    assert not (only_in_holdout & fitted)  # the fit part holds no holdout interaction


def test_a_worse_candidate_is_kept_out_a_better_one_promoted(tmp_path: Path,
                                                             registry: RegistrySettings) -> None:
    lake = clustered_lake(tmp_path / "lake")
    now = T0 + timedelta(days=DAYS)
    config = TrainerConfig(lake_path=lake, families=("popularity",), holdout_share=0.25)
    first = Trainer(config=config, settings=registry, clock=lambda: now).cycle("test")
    assert first["outcome"] == "promoted" and "no champion yet" in first["promotion"]["reason"]

    better = Trainer(config=TrainerConfig(lake_path=lake, families=("item_knn", "popularity"),
                                          holdout_share=0.25),
                     settings=registry, clock=lambda: now)
    second = better.cycle("test")
    assert second["model"] == "item_knn", second["scores"]
    assert second["outcome"] == "promoted", second["promotion"]["reason"]
    assert second["promotion"]["candidate_score"] > second["promotion"]["champion_score"]
    champion = alias_version("agora-recommender")
    assert champion is not None and str(champion.version) == second["version"]

    worse = Trainer(config=config, settings=registry, clock=lambda: now).cycle("test")
    assert worse["outcome"] == "kept", worse["promotion"]["reason"]
    assert worse["promotion"]["candidate_score"] < worse["promotion"]["champion_score"]
    after = alias_version("agora-recommender")
    assert after is not None and str(after.version) == second["version"]

    run = mlflow.get_run(second["run_id"])  # data window, holdout window and lineage
    tags = run.data.tags
    assert tags["data.window_end"] == now.isoformat()
    assert tags["data.fit_window_end"] < tags["data.holdout_start"] <= tags["data.holdout_end"]
    assert tags["agora.champion_before"] == first["version"]
    assert "holdout.popularity.ndcg_at_10" in tags and tags["agora.checks"] == "passed"


def test_a_model_failing_its_own_checks_is_never_promoted(tmp_path: Path,
                                                          registry: RegistrySettings) -> None:
    lake = clustered_lake(tmp_path / "lake")
    now = T0 + timedelta(days=DAYS)
    strict = TrainerConfig(lake_path=lake, families=("item_knn",), min_score=2.0)
    result = Trainer(config=strict, settings=registry, clock=lambda: now).cycle("test")
    assert result["outcome"] == "failed_checks"
    assert "fails its own checks" in result["promotion"]["reason"]
    assert alias_version("agora-recommender") is None

    challenger = TrainerConfig(lake_path=lake, families=("item_knn",), challenger=True,
                               min_score=2.0)
    Trainer(config=challenger, settings=registry, clock=lambda: now).cycle("test")
    assert alias_version("agora-recommender", "challenger") is None


def test_the_service_loop_trains_when_data_arrives_and_exports_metrics(
        tmp_path: Path, registry: RegistrySettings) -> None:
    lake = tmp_path / "lake"
    now = datetime(2024, 3, 20, tzinfo=UTC)
    trainer = Trainer(config=TrainerConfig(lake_path=lake, families=("popularity",),
                                           interval_s=0, min_new_events=10_000, poll_s=0.05),
                      settings=registry, clock=lambda: now)
    assert trainer.due(count_lake_events(lake)) is None  # an empty lake trains nothing
    clustered_lake(lake)
    port = free_port()
    trainer.metrics.serve(port=port, bind="127.0.0.1")
    stop = threading.Event()
    thread = threading.Thread(target=trainer.run, args=(stop,))
    thread.start()
    try:
        for _ in range(600):
            if trainer.cycles and alias_version("agora-recommender") is not None:
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(30)
    assert trainer.cycles == 1  # the first cycle; no schedule, not 10,000 new events since
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    assert 'agora_trainer_cycles_total{outcome="promoted"} 1.0' in text
    assert "agora_trainer_promotions_total 1.0" in text
    assert 'agora_trainer_holdout_ndcg_at_10{role="champion"}' in text
    assert "agora_trainer_last_training_timestamp_seconds" in text
    assert fixed(now).due(0) is None


def test_a_family_past_the_budget_is_never_fitted_and_the_best_that_fits_is_chosen(
        tmp_path: Path, registry: RegistrySettings, caplog: pytest.LogCaptureFixture) -> None:
    lake = clustered_lake(tmp_path / "lake")
    now = T0 + timedelta(days=DAYS)
    # every family fits this lake's memory and time; only linear ones are allowed past 0
    linear_only = Budget(memory_bytes=1 << 30, linear_above=0)
    config = TrainerConfig(lake_path=lake, families=("item_knn", "item_knn_bm25", "popularity"),
                           holdout_share=0.25, budget=linear_only)
    with caplog.at_level(logging.INFO, logger="models.trainer"):
        result = Trainer(config=config, settings=registry, clock=lambda: now).cycle("test")
    assert set(result["refused"]) == {"item_knn", "item_knn_bm25"}
    assert all("faster than linear" in why for why in result["refused"].values())
    assert set(result["scores"]) == {"popularity"} and result["model"] == "popularity"
    assert "item_knn not considered: its fit grows faster than linear" in caplog.text

    # a memory budget EASE's items x items matrices do not fit: the rest are still scored
    tight = Budget(memory_bytes=26 * (CLUSTERS * ITEMS_PER_CLUSTER) ** 2)
    second = Trainer(config=TrainerConfig(lake_path=lake, families=("ease", "popularity"),
                                          holdout_share=0.25, budget=tight),
                     settings=registry, clock=lambda: now).cycle("test")
    assert "GB" in second["refused"]["ease"] and second["model"] == "popularity"
