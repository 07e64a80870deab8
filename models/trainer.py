"""`agora trainer`: continuous learning as a service.

Every `poll_s` it looks at the lake; a cycle runs when `interval_s` has passed since the last
one or `min_new_events` lake rows arrived since (either trigger may be off). A cycle cuts the
lake at the clock's now into a fit part and a time-based holdout (the most recent slice,
never seen by the models it scores; models/training_job.py's `HoldoutSplit`), scores every
family whose cost fits the lake's size on it (models/cost.py: a family over the memory or
time budget, or slower than linear in interactions past the budget's `linear_above`, is left
out and the log says why; the hybrid with its blend searched on that split, as an untold
`agora train` does), and trains the best one (`pick`) through
`training_job.train`:
registered in MLflow with its data window, holdout window and lineage (the champion it was
compared with, the cycle, the families' scores), promoted only when it beats the champion
refitted on the same split (or made the challenger when configured), never when it fails its
own checks. Health models are trained once from their datasets when a path is given.
Decisions are logged and exported on /metrics (models/trainer_metrics.py).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agora.settings import RegistrySettings
from models.cost import Budget, Size, affordable
from models.errors import ModelFitError
from models.registry import RECOMMENDER_NAME, alias_version
from models.trainer_metrics import TrainerMetrics
from models.training_job import (
    METRIC,
    TrainRequest,
    holdout_score,
    holdout_split,
    searches,
    train,
    tuned_params,
)

log = logging.getLogger(__name__)

FAMILIES = ("popularity", "item_knn", "ease", "hybrid")
# health model -> the dataset folder under the health data path (../shared/datasets layout)
HEALTH_FOLDERS = {"diabetes": "pima-diabetes", "heart": "uci-heart-disease"}


@dataclass(frozen=True, kw_only=True)
class TrainerConfig:
    lake_path: Path
    families: Sequence[str] = FAMILIES
    registered_name: str = RECOMMENDER_NAME
    interval_s: float = 3600.0  # 0: no schedule
    min_new_events: int = 0  # 0: no trigger on new data
    poll_s: float = 10.0
    holdout_share: float = 0.2
    half_life_days: float | None = None
    challenger: bool = False  # the best candidate becomes the challenger, never the champion
    min_score: float = 0.0
    health_data: Path | None = None
    budget: Budget | None = None  # None: half this machine's memory (models/cost.py)


@dataclass(kw_only=True)
class Trainer:
    config: TrainerConfig
    settings: RegistrySettings  # where runs and models are registered
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    metrics: TrainerMetrics = field(default_factory=TrainerMetrics)
    cycles: int = field(default=0, init=False)
    _last_cycle: float | None = field(default=None, init=False)  # monotonic
    _events_at_last_cycle: int = field(default=0, init=False)
    _health_done: bool = field(default=False, init=False)

    def due(self, lake_events: int) -> str | None:
        """Why a cycle should run now, or None."""
        c = self.config
        if self._last_cycle is None:
            # until a first model is in service, try again once the lake grew by half
            grown = lake_events > 1.5 * self._events_at_last_cycle
            return "first cycle" if lake_events and grown else None
        if c.interval_s and time.monotonic() - self._last_cycle >= c.interval_s:
            return f"{c.interval_s:.0f}s since the last cycle"
        new = lake_events - self._events_at_last_cycle
        if c.min_new_events and new >= c.min_new_events:
            return f"{new} new lake events"
        return None

    def cycle(self, reason: str = "asked") -> dict[str, Any]:
        """One retraining: choose a family on the holdout, train it, maybe promote it."""
        c = self.config
        started = time.monotonic()
        self.cycles += 1
        now = self.clock()
        log.info("trainer cycle %d (%s): lake cut at %s", self.cycles, reason, now.isoformat())
        request = TrainRequest(lake_path=c.lake_path, cutoff=now, half_life_days=c.half_life_days,
                               registered_name=c.registered_name,
                               validation_share=c.holdout_share, min_score=c.min_score)
        try:
            split = holdout_split(request, settings=self.settings)
        except ModelFitError as exc:
            self.metrics.cycle_done(outcome="skipped", seconds=time.monotonic() - started)
            log.info("trainer cycle %d skipped: %s", self.cycles, exc)
            return {"outcome": "skipped", "reason": str(exc)}
        size = Size.of(split.training.interactions)  # what the chosen family is fitted on
        searched = {f for f in c.families if searches(dataclasses.replace(request, model=f))}
        # a searched hybrid fits its parts twice (on the search's split, then for good), as
        # one tuning its blend in `fit` does
        families, refused = affordable(c.families, size, c.budget or Budget.of_machine(),
                                       params={f: {"tune_blend": True} for f in searched
                                               if f == "hybrid"})
        for family, why in refused.items():
            log.info("trainer cycle %d: %s not considered: %s", self.cycles, family, why)
        scores, chosen = {}, {}
        for family in families:
            try:
                # as an untold `agora train` searches it (training_job.tuned_params)
                chosen[family] = (tuned_params(dataclasses.replace(request, model=family),
                                               split.training) if family in searched else {})
                scores[family] = holdout_score(split, family, chosen[family])
            except ModelFitError as exc:  # one family failing must not stop the others
                log.warning("family %s failed to fit: %s", family, exc)
        if not scores:
            self.metrics.cycle_done(outcome="failed", seconds=time.monotonic() - started)
            return {"outcome": "failed", "reason": "no family could be fitted",
                    "refused": refused}
        best = pick(scores)
        champion = alias_version(c.registered_name)
        log.info("trainer cycle %d: holdout %s..%s, %s: %s; best %s", self.cycles,
                 split.holdout_start.isoformat(), split.holdout_end.isoformat(), METRIC,
                 {f: round(m[METRIC], 4) for f, m in scores.items()}, best)
        lineage = {"agora.trainer_cycle": str(self.cycles), "agora.trigger": reason,
                   "agora.champion_before": str(champion.version) if champion else "",
                   **{f"holdout.{f}.{METRIC.replace('@', '_at_')}": f"{m[METRIC]:.6f}"
                      for f, m in scores.items()}}
        request = TrainRequest(model=best, params=chosen[best], tune=False,
                               lake_path=c.lake_path, cutoff=now,
                               half_life_days=c.half_life_days, promote=not c.challenger,
                               challenger=c.challenger, registered_name=c.registered_name,
                               validation_share=c.holdout_share, min_score=c.min_score,
                               tags=lineage)
        result = train(request, settings=self.settings, split=split,
                       holdout_metrics=scores[best])
        outcome = self._record(result)
        self.metrics.cycle_done(outcome=outcome, seconds=time.monotonic() - started,
                                lake_events=len(split.training.events))
        result.update(outcome=outcome, scores=scores, refused=refused,
                      fit_end=split.fit_end.isoformat(),
                      holdout_start=split.holdout_start.isoformat(),
                      holdout_end=split.holdout_end.isoformat())
        log.info("trainer cycle %d: %s (%s)", self.cycles, outcome,
                 result.get("promotion", {}).get("reason", f"challenger {result.get('version')}"))
        return result

    def _record(self, result: dict[str, Any]) -> str:
        promotion = result.get("promotion")
        candidate = result["validation"][METRIC]
        if promotion is not None:
            self.metrics.scores(candidate=candidate, champion=promotion.get("champion_score"))
        if result["checks"] != ["passed"]:
            return "failed_checks"
        if "challenger" in result:
            self.metrics.scores(candidate=candidate, champion=None)
            return "challenger"
        assert promotion is not None
        if promotion["promoted"]:
            self.metrics.promoted(candidate)
            return "promoted"
        return "kept"

    def train_health_models(self) -> list[dict[str, Any]]:
        """Each health model whose dataset is under `health_data` (once per trainer)."""
        root = self.config.health_data
        if root is None or self._health_done:
            return []
        self._health_done = True
        from models.health.job import train_health

        done = []
        for name, folder in HEALTH_FOLDERS.items():
            path = root / folder
            if not path.exists():
                log.warning("no %s dataset at %s: agora-health-%s not trained", name, path, name)
                continue
            result = train_health(name, path, settings=self.settings, promote=True,
                                  progress=False)
            log.info("health model %s: version %s, AUC %.3f; %s", name, result["version"],
                     result["roc_auc"], result["promotion"]["reason"])
            self.metrics.health_trained(name)
            done.append(result)
        return done

    def run(self, stop: threading.Event, *, lake_events: Callable[[], int] | None = None) -> None:
        """Until `stop`: cycles whenever one is due; the health models beside them, once."""
        count = lake_events or (lambda: count_lake_events(self.config.lake_path))
        log.info("trainer started: families %s, every %.0fs or %d new events, holdout %.0f%%",
                 list(self.config.families), self.config.interval_s,
                 self.config.min_new_events, 100 * self.config.holdout_share)
        # On its own thread: a minute of health training must not delay the first recommender.
        health = threading.Thread(target=self._train_health_models_logged, name="health",
                                  daemon=True)
        health.start()
        while not stop.is_set():
            events = count()
            reason = self.due(events)
            if reason is not None:
                outcome = "failed"
                try:
                    outcome = self.cycle(reason)["outcome"]
                except Exception:  # a bad cycle (MLflow down, ...) is retried on schedule
                    log.exception("trainer cycle failed")
                    self.metrics.cycle_done(outcome="failed", seconds=0.0)
                first_failed = outcome in {"skipped", "failed_checks", "failed"}
                if not first_failed or self._last_cycle is not None:
                    self._last_cycle = time.monotonic()
                self._events_at_last_cycle = events
            stop.wait(self.config.poll_s)
        health.join(timeout=60)
        log.info("trainer stopped after %d cycles", self.cycles)

    def _train_health_models_logged(self) -> None:
        try:
            self.train_health_models()
        except Exception:  # the recommenders still train
            log.exception("health models failed")


def count_lake_events(lake: Path) -> int:
    """Rows in the lake, from the Parquet footers (no data read)."""
    import pyarrow.dataset as ds

    files = [str(p) for p in lake.rglob("*.parquet")] if lake.exists() else []
    if not files:
        return 0
    try:
        return int(ds.dataset(files, format="parquet").count_rows())
    except OSError as exc:  # a file being written: count on the next poll
        log.debug("lake not countable yet: %s", exc)
        return 0


def pick(scores: Mapping[str, Mapping[str, float]]) -> str:
    """The selection rule: the family with the highest holdout nDCG@10 (NaN counts as
    lowest; the first listed wins a tie)."""
    return max(scores, key=lambda f: _finite(scores[f][METRIC]))


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -1.0
