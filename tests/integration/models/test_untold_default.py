"""What `agora train` and `agora trainer` pick when told no model, on lakes made in code:
exactly what their selection rules say (models.training_job.searches, models.trainer.pick)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import mlflow
import pytest

from agora.settings import RegistrySettings
from models.evaluation.blend_search import WEIGHT_GRID
from models.hybrid import DEFAULT_WEIGHTS
from models.trainer import FAMILIES, Trainer, TrainerConfig, pick
from models.training_job import (
    DEFAULT_MODEL,
    TrainRequest,
    holdout_split,
    train,
    tuned_params,
)
from tests.integration.models.test_trainer import DAYS, clustered_lake
from tests.unit.models.lake_data import T0

CUTOFF = T0 + timedelta(days=DAYS)


@pytest.fixture()
def registry(tmp_path: Path) -> RegistrySettings:
    return RegistrySettings(data_dir=tmp_path / "var", mlflow_tracking_uri=None)


def _weights(run_id: str) -> dict[str, float]:
    params = mlflow.get_run(run_id).data.params
    return {k.removeprefix("model.weights."): float(v) for k, v in params.items()
            if k.startswith("model.weights.")}


def test_an_untold_train_fits_the_hybrid_with_the_blend_its_search_picks(
        tmp_path: Path, registry: RegistrySettings) -> None:
    lake = clustered_lake(tmp_path / "lake")
    untold = TrainRequest(lake_path=lake, cutoff=CUTOFF)
    result = train(untold, settings=registry)
    assert result["model"] == DEFAULT_MODEL == "hybrid"
    # the rule: the blend searched on the earlier part of the fit window, nothing else
    split = holdout_split(untold, settings=registry)
    expected = tuned_params(untold, split.training)["weights"]
    chosen = _weights(result["run_id"])
    assert chosen == expected
    assert chosen["cf"] == 1.0 and set(chosen.values()) <= set(WEIGHT_GRID)
    params = mlflow.get_run(result["run_id"]).data.params
    assert params["model.tune_blend"].lower() == "false"  # searched once, then kept

    kept = train(TrainRequest(lake_path=lake, cutoff=CUTOFF, tune=False), settings=registry)
    assert _weights(kept["run_id"]) == DEFAULT_WEIGHTS  # told not to search: the preset


def test_an_untold_trainer_picks_the_family_its_rule_names(
        tmp_path: Path, registry: RegistrySettings) -> None:
    lake = clustered_lake(tmp_path / "lake")
    config = TrainerConfig(lake_path=lake, holdout_share=0.25)
    assert tuple(config.families) == FAMILIES
    result = Trainer(config=config, settings=registry, clock=lambda: CUTOFF).cycle("test")
    scores = result["scores"]
    assert set(scores) == set(FAMILIES) and not result["refused"]
    best = max(scores[f]["ndcg@10"] for f in scores)
    assert result["model"] == pick(scores)
    assert scores[result["model"]]["ndcg@10"] == best
    tags = mlflow.get_run(result["run_id"]).data.tags
    assert all(f"holdout.{f}.ndcg_at_10" in tags for f in FAMILIES)
    if result["model"] == "hybrid":  # registered with the blend it was scored with
        assert _weights(result["run_id"])["cf"] == 1.0
