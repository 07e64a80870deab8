"""The trainer's /metrics: when it last trained, what it decided, and the holdout scores of
champion and candidate (the `agora-trainer` scrape job)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

OUTCOMES = ("promoted", "kept", "challenger", "failed_checks", "skipped", "failed")


class TrainerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.last_training = Gauge(
            "agora_trainer_last_training_timestamp_seconds",
            "When the last cycle that trained a model finished (Unix time).", registry=r)
        self.cycle_seconds = Gauge("agora_trainer_cycle_seconds",
                                   "Duration of the last cycle.", registry=r)
        self.cycles = Counter("agora_trainer_cycles", "Cycles by outcome.", ["outcome"],
                              registry=r)
        for outcome in OUTCOMES:
            self.cycles.labels(outcome)
        self.promotions = Counter("agora_trainer_promotions",
                                  "Times the champion alias moved.", registry=r)
        self.holdout = Gauge("agora_trainer_holdout_ndcg_at_10",
                             "nDCG@10 on the last cycle's holdout.", ["role"], registry=r)
        self.lake_events = Gauge("agora_trainer_lake_events",
                                 "Interactions in the last cycle's training set.", registry=r)
        self.health = Counter("agora_trainer_health_models_trained",
                              "Health models trained.", ["model"], registry=r)

    def cycle_done(self, *, outcome: str, seconds: float, lake_events: int | None = None) -> None:
        self.cycles.labels(outcome).inc()
        self.cycle_seconds.set(seconds)
        if outcome not in {"skipped", "failed"}:
            self.last_training.set(time.time())
        if lake_events is not None:
            self.lake_events.set(lake_events)

    def scores(self, *, candidate: float, champion: float | None) -> None:
        self.holdout.labels("candidate").set(candidate)
        if champion is not None:
            self.holdout.labels("champion").set(champion)

    def promoted(self, score: float) -> None:
        self.promotions.inc()
        self.holdout.labels("champion").set(score)

    def health_trained(self, name: str) -> None:
        self.health.labels(name).inc()

    def serve(self, *, port: int, bind: str) -> None:
        start_http_server(port, addr=bind, registry=self.registry)
