"""Train a health model: cross-validate, plot calibration, log, register, maybe promote."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types import ColSpec, Schema

from agora.settings import RegistrySettings
from models.health.card import model_card
from models.health.data import HealthDataset, load_cleveland, load_pima
from models.health.pipeline import fit_scorer
from models.health.scorer import LinearRiskScorer
from models.health.validation import calibration_plot, cross_validate
from models.registry import alias_version, move_alias
from models.tracking import configure, flat_params, log_provenance, pip_requirements

log = logging.getLogger(__name__)

EXPERIMENT = "agora-health"
LOADERS = {"diabetes": load_pima, "heart": load_cleveland}


class HealthPyfunc(PythonModel):
    """predict(DataFrame of features) -> DataFrame[risk, factors (JSON)]."""

    def load_context(self, context: Any) -> None:
        self.scorer = LinearRiskScorer.load(context.artifacts["scorer"])

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        import json

        risk = self.scorer.predict_proba(model_input)
        factors = [json.dumps([f.__dict__ for f in self.scorer.explain(row)])
                   for row in model_input.to_dict(orient="records")]
        return pd.DataFrame({"risk": risk, "factors": factors})


def train_health(name: str, path: str | Path | None = None, *, settings: RegistrySettings,
                 dataset: HealthDataset | None = None, repeats: int = 5, c: float = 0.1,
                 promote: bool = False, progress: bool = True) -> dict[str, Any]:
    """Cross-validate and register `agora-health-<name>` in the settings' MLflow; `dataset`
    overrides `path`."""
    if dataset is None:
        if path is None:
            raise ValueError("a dataset path is needed")
        dataset = LOADERS[name](path)
    report = cross_validate(dataset, repeats=repeats, c=c, progress=progress)
    scorer = fit_scorer(dataset, c=c)
    registered = f"agora-health-{dataset.name}"
    configure(EXPERIMENT, settings=settings)
    signature = ModelSignature(
        inputs=Schema([ColSpec("double", f, required=False) for f in dataset.features.columns]),
        outputs=Schema([ColSpec("double", "risk"), ColSpec("string", "factors")]))
    with mlflow.start_run(run_name=registered) as run, tempfile.TemporaryDirectory() as tmp:
        log_provenance(window_start=None, window_end=None, dataset=dataset.source,
                       extra={"validation": f"repeated stratified {report.folds}-fold x "
                                            f"{report.repeats}"})
        mlflow.log_params(flat_params({"model": "logistic_regression+platt", "C": c,
                                       "rows": len(dataset.target), "folds": report.folds,
                                       "repeats": report.repeats}))
        mlflow.log_metrics(report.metrics())
        folder = Path(tmp)
        plot = calibration_plot(report, dataset.target.to_numpy(), folder / "calibration.png")
        card = folder / "model_card.md"
        card.write_text(model_card(dataset, report, c=c))
        mlflow.log_artifacts(str(folder), artifact_path="report")
        scorer_file = scorer.save(folder / "scorer.json")
        info = mlflow.pyfunc.log_model(
            name="model", python_model=HealthPyfunc(), artifacts={"scorer": str(scorer_file)},
            signature=signature, pip_requirements=pip_requirements(),
            registered_model_name=registered)
        version = str(info.registered_model_version)
        log.info("calibration plot %s logged with run %s", plot.name, run.info.run_id)
    result: dict[str, Any] = {"model": registered, "version": version, **report.metrics(),
                              "run_id": run.info.run_id}
    if promote:
        result["promotion"] = _promote(registered, version, report.auc_mean)
    return result


def _promote(registered: str, version: str, auc: float) -> dict[str, Any]:
    """Same data, same folds and seed: the champion's logged CV AUC is comparable."""
    current = alias_version(registered)
    if current is None:
        move_alias(registered, version)
        return {"promoted": True, "reason": f"no champion yet; version {version} promoted"}
    old = mlflow.get_run(current.run_id).data.metrics.get("roc_auc", 0.0)
    if auc > old:
        move_alias(registered, version)
        return {"promoted": True, "reason": f"AUC {auc:.4f} beats champion v{current.version} "
                                            f"{old:.4f} on the same folds; champion moved"}
    return {"promoted": False, "reason": f"AUC {auc:.4f} does not beat champion "
                                         f"v{current.version} {old:.4f}; champion kept"}
