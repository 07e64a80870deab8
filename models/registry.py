"""Registering models and moving the `champion` alias (never loading by version number)."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from models.base import Recommender
from models.pyfunc import RECOMMEND_SIGNATURE, RecommenderPyfunc
from models.tracking import flat_params, pip_requirements

log = logging.getLogger(__name__)

RECOMMENDER_NAME = "agora-recommender"
CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True, kw_only=True)
class Registered:
    name: str
    version: str
    run_id: str


def log_recommender(model: Recommender, *, preset: str, metrics: Mapping[str, float],
                    registered_name: str = RECOMMENDER_NAME) -> Registered:
    """Inside an active run: params, metrics, the model as pyfunc, registered under a name."""
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("log_recommender needs an active MLflow run")
    mlflow.log_params({"preset": preset, "model_class": model.name,
                       **flat_params(model.params, prefix="model.")})
    mlflow.log_metrics({k.replace("@", "_at_"): float(v) for k, v in metrics.items()})
    mlflow.set_tags({"agora.preset": preset, "agora.params": json.dumps(model.params)})
    with tempfile.TemporaryDirectory() as tmp:
        folder = model.save(Path(tmp) / "model")
        info = mlflow.pyfunc.log_model(
            name="model", python_model=RecommenderPyfunc(), artifacts={"model": str(folder)},
            signature=RECOMMEND_SIGNATURE, pip_requirements=pip_requirements(),
            registered_model_name=registered_name)
    version = str(info.registered_model_version)
    client = MlflowClient()
    client.set_model_version_tag(registered_name, version, "agora.preset", preset)
    client.set_model_version_tag(registered_name, version, "agora.params",
                                 json.dumps(model.params))
    return Registered(name=registered_name, version=version, run_id=run.info.run_id)


def alias_version(name: str, alias: str = CHAMPION) -> Any | None:
    """The model version behind `name@alias`, or None when the alias is not set."""
    try:
        return MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def move_alias(name: str, version: str, alias: str = CHAMPION) -> None:
    MlflowClient().set_registered_model_alias(name, alias, version)
    log.info("moved %s@%s to version %s", name, alias, version)
