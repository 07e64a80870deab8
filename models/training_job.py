"""`agora train`: lake -> training set -> validation -> fit -> MLflow -> optional promotion.

Promotion is fair: the current champion's configuration (preset + params recorded on its
model version) is refitted on the same fit part and scored on the same validation part as
the new model. The alias moves only if the new model's nDCG@10 is strictly higher.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

from models.base import Recommender
from models.catalog import build
from models.errors import ModelFitError
from models.evaluation.harness import SideInfo, score
from models.evaluation.splits import temporal_split
from models.interactions import Interactions
from models.registry import (
    CHALLENGER,
    RECOMMENDER_NAME,
    alias_version,
    log_recommender,
    move_alias,
)
from models.tracking import configure, data_dir, log_provenance
from models.training_set import TrainingSetSpec, build_training_set
from models.tuning import tune

log = logging.getLogger(__name__)

EXPERIMENT = "agora-recommenders"
METRIC = "ndcg@10"


@dataclass(frozen=True, kw_only=True)
class TrainRequest:
    model: str = "hybrid"
    lake_path: str | Path | None = None
    cutoff: str | datetime | None = None
    half_life_days: float | None = None
    domains: Sequence[str] | None = None
    promote: bool = False
    challenger: bool = False  # serve it to the challenger share, whatever its offline score
    params: dict[str, Any] | None = None
    registered_name: str = RECOMMENDER_NAME
    validation_share: float = 0.2
    tune: bool = False


def default_lake() -> Path:
    return Path(os.environ.get("AGORA_LAKE_PATH") or data_dir() / "lake")


def train(request: TrainRequest) -> dict[str, Any]:
    cutoff = _as_datetime(request.cutoff) if request.cutoff else datetime.now(UTC)
    lake = Path(request.lake_path) if request.lake_path else default_lake()
    ts = build_training_set(lake_path=lake, spec=TrainingSetSpec(
        cutoff=cutoff, half_life_days=request.half_life_days, domains=request.domains))
    fit_part, valid_part = _validation(ts.events, ts.interactions, request.validation_share)
    params = dict(request.params or {})
    if request.tune:
        params = {**_tuned(request, ts.events, ts.interactions), **params}
    request = dataclasses.replace(request, params=params)
    candidate = build(request.model, **params)
    valid_metrics = _validate(candidate, fit_part, valid_part)
    configure(EXPERIMENT)
    with mlflow.start_run(run_name=request.model):
        log_provenance(window_start=ts.window_start, window_end=ts.window_end,
                       dataset=str(lake), extra={"validation": "temporal, last "
                                                 f"{request.validation_share:.0%} of events"})
        final = build(request.model, **(request.params or {})).fit(ts.interactions)
        metrics = {**{f"valid_{k}": v for k, v in valid_metrics.items()},
                   "train_seconds": final.train_seconds, "users": len(ts.interactions.user_ids),
                   "items": len(ts.interactions.item_ids), "interactions": ts.interactions.nnz}
        registered = log_recommender(final, preset=request.model, metrics=metrics,
                                     registered_name=request.registered_name)
    result: dict[str, Any] = {"model": request.model, "run_id": registered.run_id,
                              "registered": f"{registered.name}/{registered.version}",
                              "validation": valid_metrics}
    if request.promote:
        result["promotion"] = _promote(request, registered.version, valid_metrics[METRIC],
                                       fit_part, valid_part)
    if request.challenger:
        move_alias(request.registered_name, registered.version, CHALLENGER)
        result["challenger"] = registered.version
    return result


def _validation(events: pd.DataFrame, data: Interactions,
                share: float) -> tuple[Interactions, pd.DataFrame]:
    fit_events, valid = temporal_split(events, ratio=1.0 - share, time_col="occurred_at")
    summed = fit_events.groupby(["user_id", "item_id"], as_index=False)["weight"].sum()
    summed = summed[summed["weight"] > 0]
    if summed.empty or valid.empty:
        raise ModelFitError("not enough events to carve a validation window")
    fit_part = Interactions.from_frame(summed, item_categories=data.item_categories,
                                       item_texts=data.item_texts)
    return fit_part, valid[valid["weight"] > 0][["user_id", "item_id"]]


def _tuned(request: TrainRequest, events: pd.DataFrame,
           data: Interactions) -> dict[str, Any]:
    """Grid-search the preset on the earlier part of the fit window (validation untouched)."""
    fit_events, _ = temporal_split(events, ratio=1.0 - request.validation_share,
                                   time_col="occurred_at")

    def carve(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        early, late = temporal_split(frame, ratio=1.0 - request.validation_share,
                                     time_col="occurred_at")
        return early, late[late["weight"] > 0]

    side = SideInfo(texts=data.item_texts, categories=data.item_categories)
    return tune(request.model, fit_events, carve=carve, side=side, weight_col="weight",
                exclude_seen=False).params


def _validate(model: Recommender, fit_part: Interactions,
              valid_part: pd.DataFrame) -> dict[str, float]:
    model.fit(fit_part)
    metrics = score(model, valid_part, k=10, exclude_seen=False)
    return {k: float(v) for k, v in metrics.items() if "@" in k or k == "coverage"}


def _promote(request: TrainRequest, version: str, new_score: float, fit_part: Interactions,
             valid_part: pd.DataFrame) -> dict[str, Any]:
    current = alias_version(request.registered_name)
    if current is None:
        move_alias(request.registered_name, version)
        return {"promoted": True, "champion": version,
                "reason": f"no champion yet; version {version} is now champion"}
    preset = current.tags.get("agora.preset", "")
    params = json.loads(current.tags.get("agora.params", "{}"))
    old = _validate(build(preset, **params), fit_part, valid_part)[METRIC]
    if new_score > old:
        move_alias(request.registered_name, version)
        reason = (f"version {version} ({request.model}) {METRIC}={new_score:.4f} beats "
                  f"champion version {current.version} ({preset}) {METRIC}={old:.4f} on the "
                  "same validation data; champion moved")
        return {"promoted": True, "champion": version, "reason": reason,
                "previous": str(current.version)}
    reason = (f"version {version} ({request.model}) {METRIC}={new_score:.4f} does not beat "
              f"champion version {current.version} ({preset}) {METRIC}={old:.4f}; champion kept")
    return {"promoted": False, "champion": str(current.version), "reason": reason}


def _as_datetime(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
