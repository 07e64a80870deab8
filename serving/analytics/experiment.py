"""The live A/B test: each arm's CTR with its interval, the decision, and the promotion.

The arms are the worker's hour hashes (`features.recommendations.arm_counts`): the champion
in service counted as `champion`, the challenger in service as `challenger`, both from the
first hour the challenger served (so the arms cover the same hours), for at most
`window_h` hours. The decision is `serving.recommend.experiments.decide` (mSPRT, see there).
With `auto_promote` on, a challenger that won is made the champion through the registry's
aliases (`RegistryAliases`): idempotent (a version already champion is left alone) and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict
from typing import Any, Protocol

from agora.alembic_lock import ALEMBIC_LOCK
from features.online import OnlineStore, StoreUnavailable
from features.recommendations import arm_counts, hour_of
from serving.recommend.experiments import ArmCounts, SequentialTest, decide, wilson
from serving.recommend.model_registry import ModelRegistry
from serving.recommend.served import ServedModel

log = logging.getLogger(__name__)

WINDOW_H = 14 * 24


class Aliases(Protocol):
    """The registry's aliases, as a promotion moves them (calls block)."""

    def promote(self, version: str) -> bool:
        """Make `version` the champion and end the experiment; False if it already was."""
        ...


class RegistryAliases:
    """MLflow's model registry: `champion` moved to the version, `challenger` removed."""

    def __init__(self, *, tracking_uri: str, name: str) -> None:
        self.tracking_uri = tracking_uri
        self.name = name

    def promote(self, version: str) -> bool:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        with ALEMBIC_LOCK:
            client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
            try:
                current = str(client.get_model_version_by_alias(self.name, "champion").version)
            except MlflowException:
                current = None
            if current == version:
                return False
            client.set_registered_model_alias(self.name, "champion", version)
            with contextlib.suppress(MlflowException):  # already gone
                client.delete_registered_model_alias(self.name, "challenger")
        log.info("promoted %s version %s to champion (was %s): the challenger won its A/B test",
                 self.name, version, current)
        return True


def _arm(served: ServedModel | None, counts: ArmCounts | None) -> dict[str, Any] | None:
    if served is None or counts is None:
        return None
    ci = wilson(counts.clicked, counts.served)
    return {"model": served.label, "served": counts.served, "clicked": counts.clicked,
            "ctr": counts.clicked / counts.served if counts.served else None,
            "ctr_interval": {"low": ci.low, "high": ci.high, "level": 0.95,
                             "method": "wilson"}}


class LiveExperiment:
    def __init__(self, *, store: OnlineStore, registry: ModelRegistry, rule: SequentialTest,
                 aliases: Aliases | None = None, auto_promote: bool = False,
                 window_h: int = WINDOW_H) -> None:
        self._store = store
        self._registry = registry
        self._rule = rule
        self._aliases = aliases
        self._auto = auto_promote and aliases is not None
        self._window_h = window_h
        self.promoted: dict[str, Any] | None = None  # the last promotion this process made
        self._task: asyncio.Task[None] | None = None

    async def arms(self, now: float) -> tuple[ArmCounts | None, ArmCounts | None]:
        current = self._registry.current
        champion, challenger = current.champion, current.challenger
        if champion is None:
            return None, None
        last = hour_of(now)
        hours = list(range(last - self._window_h + 1, last + 1))
        counts = await arm_counts(self._store, hours)

        def row(h: int, served: ServedModel, variant: str) -> dict[str, float]:
            return counts[h].get((served.label, variant), {})

        start = hours[0]
        if challenger is not None:
            ran = [h for h in hours if row(h, challenger, "challenger").get("served", 0) > 0]
            start = ran[0] if ran else last + 1

        def total(served: ServedModel, variant: str) -> ArmCounts:
            rows = [row(h, served, variant) for h in hours if h >= start]
            return ArmCounts(served=int(sum(r.get("served", 0) for r in rows)),
                             clicked=int(sum(r.get("clicked", 0) for r in rows)))

        return (total(champion, "champion"),
                total(challenger, "challenger") if challenger is not None else None)

    async def read(self, now: float | None = None) -> dict[str, Any]:
        """The experiment as the API and the dashboard show it; promotes a winner if on."""
        now = time.time() if now is None else now
        current = self._registry.current
        try:
            champion, challenger = await self.arms(now)
        except StoreUnavailable as exc:
            return {"error": f"online store unavailable: {exc}", "decision": None}
        decision = decide(champion or ArmCounts(served=0, clicked=0), challenger, self._rule)
        out: dict[str, Any] = {
            "champion": _arm(current.champion, champion),
            "challenger": _arm(current.challenger, challenger),
            "decision": {**asdict(decision)},
            "rule": {"test": "mSPRT (Johari et al. 2017)", **asdict(self._rule)},
            "auto_promote": self._auto,
            "promoted": self.promoted,
        }
        if decision.status == "won" and self._auto and current.challenger is not None:
            await self._promote(current.challenger)
            out["promoted"] = self.promoted
        return out

    async def _promote(self, challenger: ServedModel) -> None:
        assert self._aliases is not None
        try:
            moved = await asyncio.to_thread(self._aliases.promote, challenger.version)
        except Exception:
            log.exception("promotion of %s failed", challenger.label)
            return
        if moved:
            self.promoted = {"model": challenger.label, "at": time.time()}
        await self._registry.refresh()  # serve the new champion now, not at the next poll

    async def run(self, interval_s: float) -> None:
        """With `auto_promote`, decide every `interval_s` even when nobody looks."""
        while True:
            try:
                await self.read()
            except Exception:
                log.exception("experiment check failed")
            await asyncio.sleep(interval_s)

    async def start(self, interval_s: float = 5.0) -> None:
        if self._auto:
            self._task = asyncio.create_task(self.run(interval_s), name="experiment-check")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
