"""`agora train` end to end on a lake made in code, with MLflow on a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from agora.settings import RegistrySettings
from models.registry import alias_version
from models.training_job import TrainRequest, train
from tests.unit.models.lake_data import small_lake


@pytest.fixture()
def registry(tmp_path: Path) -> RegistrySettings:
    """MLflow on a SQLite file of the test's own (the default under its data dir)."""
    return RegistrySettings(data_dir=tmp_path / "var", mlflow_tracking_uri=None)


def test_train_registers_and_promotes_only_when_better(tmp_path: Path,
                                                       registry: RegistrySettings) -> None:
    lake = small_lake(tmp_path / "lake", days=12, users=16)
    first = train(TrainRequest(model="ease", lake_path=lake, promote=True,
                               cutoff="2024-04-01T00:00:00Z"), settings=registry)
    assert first["promotion"]["promoted"] is True
    assert "no champion yet" in first["promotion"]["reason"]
    champion = alias_version("agora-recommender")
    assert champion is not None and champion.tags["agora.preset"] == "ease"

    second = train(TrainRequest(model="popularity", lake_path=lake, promote=True,
                                cutoff="2024-04-01T00:00:00Z"), settings=registry)
    promotion = second["promotion"]
    after = alias_version("agora-recommender")
    assert after is not None
    assert (after.version == second["registered"].split("/")[1]) == promotion["promoted"]
    assert ("champion moved" if promotion["promoted"] else "champion kept") in promotion["reason"]

    third = train(TrainRequest(model="item_knn", lake_path=lake, challenger=True,
                               cutoff="2024-04-01T00:00:00Z"), settings=registry)
    challenger = alias_version("agora-recommender", "challenger")
    assert challenger is not None and third["challenger"] == str(challenger.version)
    assert challenger.tags["agora.preset"] == "item_knn"
    kept = alias_version("agora-recommender")
    assert kept is not None and kept.version == after.version  # the champion stays

    run = mlflow.get_run(first["run_id"])
    assert run.data.tags["git_commit"]
    assert run.data.tags["data.window_end"].startswith("2024-04-01")
    assert "valid_ndcg_at_10" in run.data.metrics
    assert run.data.params["preset"] == "ease"

    model = mlflow.pyfunc.load_model("models:/agora-recommender@champion")
    out = model.predict(pd.DataFrame({"user_id": ["u1", "stranger"], "k": [3, 3]}))
    assert list(out.columns) == ["user_id", "item_id", "score", "rank"]
    assert len(out) == 6
    assert (registry.data_dir / "mlflow.db").exists()


def test_health_model_is_registered_with_card_plot_and_factors(registry: RegistrySettings) -> None:
    from models.health.job import train_health
    from tests.unit.models.health_data import pima_like

    data = pima_like()
    result = train_health("diabetes", settings=registry, dataset=data, repeats=1, promote=True,
                          progress=False)
    assert result["promotion"]["promoted"] is True
    assert result["roc_auc"] > 0.8
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(result["run_id"], "report")}
    assert {"report/calibration.png", "report/model_card.md"} <= artifacts
    model = mlflow.pyfunc.load_model("models:/agora-health-diabetes@champion")
    out = model.predict(data.features.iloc[:2])
    assert list(out.columns) == ["risk", "factors"]
    assert "glucose" in out["factors"].iloc[0] or "bmi" in out["factors"].iloc[0]


def test_train_tunes_the_hybrid_blend_on_validation(tmp_path: Path,
                                                    registry: RegistrySettings) -> None:
    from models.evaluation.blend_search import WEIGHT_GRID

    lake = small_lake(tmp_path / "lake", days=12, users=16)
    result = train(TrainRequest(model="hybrid", lake_path=lake, tune=True,
                                cutoff="2024-04-01T00:00:00Z"), settings=registry)
    params = mlflow.get_run(result["run_id"]).data.params
    chosen = {k.removeprefix("model.weights."): float(v) for k, v in params.items()
              if k.startswith("model.weights.")}
    assert chosen["cf"] == 1.0 and set(chosen.values()) <= set(WEIGHT_GRID)
    assert params["model.tune_blend"].lower() == "false"  # chosen once, then kept
