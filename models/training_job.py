"""`agora train`: lake -> training set -> validation -> fit -> MLflow -> optional promotion.

Validation is a time-based holdout: the most recent share of the events, never seen by the
models it scores (`HoldoutSplit`). Promotion is fair: the current champion's configuration
(preset + params recorded on its model version) is refitted on the same fit part and scored
on the same holdout as the new model. The alias moves only if the new model's nDCG@10 is
strictly higher, and never for a model failing its own checks. `agora trainer`
(models/trainer.py) calls the same functions on a schedule.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

from agora.settings import RegistrySettings
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
from models.tracking import configure, log_provenance
from models.training_set import TrainingSet, TrainingSetSpec, build_training_set
from models.tuning import tune

log = logging.getLogger(__name__)

EXPERIMENT = "agora-recommenders"
METRIC = "ndcg@10"
DEFAULT_MODEL = "hybrid"  # what `agora train` fits when told no model
# presets searched on validation unless told `tune=False`: the hybrid's search fits each part
# once and tries blends on their cached scores (models/tuning.py), so an untold train costs
# about 2-3x its parts' fits and picks its blend on this data, not a preset's
SEARCHED_BY_DEFAULT = frozenset({DEFAULT_MODEL})
# searched on the holdout split itself, not nested inside its fit window: the blend is a
# handful of weights, and nested, its search saw a data set much smaller than the final
# fit's and chose blends that did worse on MovieLens' test (docs/models.md)
SEARCHED_ON_HOLDOUT = frozenset({"hybrid"})


@dataclass(frozen=True, kw_only=True)
class TrainRequest:
    model: str = DEFAULT_MODEL
    lake_path: str | Path | None = None
    cutoff: str | datetime | None = None
    half_life_days: float | None = None
    domains: Sequence[str] | None = None
    promote: bool = False
    challenger: bool = False  # serve it to the challenger share, whatever its offline score
    params: dict[str, Any] | None = None
    registered_name: str = RECOMMENDER_NAME
    validation_share: float = 0.2
    tune: bool | None = None  # None: search the presets of SEARCHED_BY_DEFAULT only
    min_score: float = 0.0  # own check: a holdout nDCG@10 at or below it is never promoted
    tags: Mapping[str, str] | None = None  # lineage, e.g. the trainer's cycle


@dataclass(frozen=True, kw_only=True)
class HoldoutSplit:
    """The training set cut by time: models are fitted on `fit` (events before
    `holdout_start`) and scored on `holdout` (the most recent slice, up to the cut-off)."""

    training: TrainingSet
    lake: Path
    fit: Interactions
    holdout: pd.DataFrame  # user_id, item_id
    fit_end: datetime
    holdout_start: datetime
    holdout_end: datetime


def searches(request: TrainRequest) -> bool:
    """Whether `train` searches the request's preset on validation before fitting it."""
    return request.tune if request.tune is not None else request.model in SEARCHED_BY_DEFAULT


def holdout_split(request: TrainRequest, *, settings: RegistrySettings) -> HoldoutSplit:
    """The request's training set, read from its lake (else the settings' lake), cut by time."""
    cutoff = _as_datetime(request.cutoff) if request.cutoff else datetime.now(UTC)
    lake = Path(request.lake_path) if request.lake_path else settings.lake
    ts = build_training_set(lake_path=lake, spec=TrainingSetSpec(
        cutoff=cutoff, half_life_days=request.half_life_days, domains=request.domains))
    fit_events, valid = temporal_split(ts.events, ratio=1.0 - request.validation_share,
                                       time_col="occurred_at")
    fit_part, valid_part = _validation(fit_events, valid, ts.interactions)
    return HoldoutSplit(training=ts, lake=lake, fit=fit_part, holdout=valid_part,
                        fit_end=_latest(fit_events), holdout_start=_earliest(valid),
                        holdout_end=_latest(valid))


def holdout_score(split: HoldoutSplit, preset: str,
                  params: Mapping[str, Any] | None = None) -> dict[str, float]:
    """`preset` fitted on the split's fit part, scored on its holdout."""
    return _validate(build(preset, **dict(params or {})), split.fit, split.holdout)


def train(request: TrainRequest, *, settings: RegistrySettings,
          split: HoldoutSplit | None = None,
          holdout_metrics: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Train, register (in the settings' MLflow), maybe promote. `split` and `holdout_metrics`
    (of `request.model` on that split) save the trainer a second read of the lake and a
    second fit."""
    split = split or holdout_split(request, settings=settings)
    ts, lake, fit_part, valid_part = split.training, split.lake, split.fit, split.holdout
    params = dict(request.params or {})
    searched = searches(request)
    if searched:
        params = {**tuned_params(request, ts), **params}
    request = dataclasses.replace(request, params=params)
    if holdout_metrics is not None and not searched:
        valid_metrics = dict(holdout_metrics)
    else:
        valid_metrics = _validate(build(request.model, **params), fit_part, valid_part)
    configure(EXPERIMENT, settings=settings)
    with mlflow.start_run(run_name=request.model):
        log_provenance(window_start=ts.window_start, window_end=ts.window_end,
                       dataset=str(lake), extra={
                           "validation": "temporal, last "
                                         f"{request.validation_share:.0%} of events",
                           "data.fit_window_end": split.fit_end.isoformat(),
                           "data.holdout_start": split.holdout_start.isoformat(),
                           "data.holdout_end": split.holdout_end.isoformat(),
                           **(request.tags or {})})
        final = build(request.model, **(request.params or {})).fit(ts.interactions)
        metrics = {**{f"valid_{k}": v for k, v in valid_metrics.items()},
                   "train_seconds": final.train_seconds, "users": len(ts.interactions.user_ids),
                   "items": len(ts.interactions.item_ids), "interactions": ts.interactions.nnz}
        registered = log_recommender(final, preset=request.model, metrics=metrics,
                                     registered_name=request.registered_name)
        failed = _failed_checks(final, ts.interactions, valid_metrics, request.min_score)
        mlflow.set_tag("agora.checks", "; ".join(failed) or "passed")
    result: dict[str, Any] = {"model": request.model, "run_id": registered.run_id,
                              "registered": f"{registered.name}/{registered.version}",
                              "version": registered.version, "validation": valid_metrics,
                              "checks": failed or ["passed"]}
    if failed:  # registered for the record, never served
        if request.promote or request.challenger:
            result["promotion"] = {"promoted": False, "candidate_score": valid_metrics[METRIC],
                                   "reason": f"version {registered.version} fails its own "
                                             f"checks ({'; '.join(failed)}); aliases kept"}
        return result
    if request.promote:
        result["promotion"] = _promote(request, registered.version, valid_metrics[METRIC],
                                       fit_part, valid_part)
    if request.challenger:
        move_alias(request.registered_name, registered.version, CHALLENGER)
        result["challenger"] = registered.version
    return result


def _validation(fit_events: pd.DataFrame, valid: pd.DataFrame,
                data: Interactions) -> tuple[Interactions, pd.DataFrame]:
    summed = fit_events.groupby(["user_id", "item_id"], as_index=False)["weight"].sum()
    summed = summed[summed["weight"] > 0]
    if summed.empty or valid.empty:
        raise ModelFitError("not enough events to carve a validation window")
    fit_part = Interactions.from_frame(summed, item_categories=data.item_categories,
                                       item_texts=data.item_texts)
    return fit_part, valid[valid["weight"] > 0][["user_id", "item_id"]]


def _latest(events: pd.DataFrame) -> datetime:
    return pd.Timestamp(pd.to_datetime(events["occurred_at"], utc=True).max()).to_pydatetime()


def _earliest(events: pd.DataFrame) -> datetime:
    return pd.Timestamp(pd.to_datetime(events["occurred_at"], utc=True).min()).to_pydatetime()


def _failed_checks(model: Recommender, data: Interactions, metrics: Mapping[str, float],
                   min_score: float) -> list[str]:
    """What a model must do before it may serve anyone; the failures, empty when none."""
    failed = []
    score = metrics.get(METRIC, float("nan"))
    if not score > min_score:  # NaN fails too
        failed.append(f"{METRIC}={score:.4f} not above {min_score:.4f}")
    known = str(data.user_ids[0]) if len(data.user_ids) else None
    if known is None or not model.recommend(known, k=10):
        failed.append("no recommendation for a known user")
    if not model.recommend("agora-check-stranger", k=10):
        failed.append("no recommendation for a new user")
    return failed


def tuned_params(request: TrainRequest, training: TrainingSet) -> dict[str, Any]:
    """The preset's params searched on validation: a grid inside the earlier part of the
    fit window (the holdout untouched); the hybrid's blend (SEARCHED_ON_HOLDOUT) on the
    holdout split itself, so its holdout score is the one its blend was chosen on."""
    events, data = training.events, training.interactions
    if request.model not in SEARCHED_ON_HOLDOUT:
        events, _ = temporal_split(events, ratio=1.0 - request.validation_share,
                                   time_col="occurred_at")

    def carve(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        early, late = temporal_split(frame, ratio=1.0 - request.validation_share,
                                     time_col="occurred_at")
        return early, late[late["weight"] > 0]

    side = SideInfo(texts=data.item_texts, categories=data.item_categories)
    return tune(request.model, events, carve=carve, side=side, weight_col="weight",
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
        return {"promoted": True, "champion": version, "candidate_score": new_score,
                "champion_score": None,
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
                "previous": str(current.version), "candidate_score": new_score,
                "champion_score": old}
    reason = (f"version {version} ({request.model}) {METRIC}={new_score:.4f} does not beat "
              f"champion version {current.version} ({preset}) {METRIC}={old:.4f}; champion kept")
    return {"promoted": False, "champion": str(current.version), "reason": reason,
            "candidate_score": new_score, "champion_score": old}


def _as_datetime(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
