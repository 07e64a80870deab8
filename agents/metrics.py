"""Worker metrics, served at `/metrics` on the Faust web port (`AGORA_WORKER_WEB_PORT`).

One registry per app, so tests can build several apps in one process. Every label value is
drawn from a bounded set: agent and topic names, and for dead letters the contracts' own
field names (`field_label`), never text from an event.
"""

from __future__ import annotations

import typing
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from pydantic import BaseModel

from contracts.events import EVENT_CLASSES

OTHER_FIELD = "other"
# Dead-letter causes that are not a contract field (agents.pipeline).
CAUSES = frozenset({"event", "event_type", "processing", "store", "after"})


def _fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, info in model.model_fields.items():
        out.add(prefix + name)
        stack = [info.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                out |= _fields(tp, f"{prefix}{name}.")
            else:
                stack.extend(typing.get_args(tp))
    return out


@cache
def known_fields() -> frozenset[str]:
    """Every field name of every event type, nested ones dotted (`lines.quantity`)."""
    return frozenset(CAUSES.union(*(_fields(cls) for cls in EVENT_CLASSES.values())))


def field_label(field: str) -> str:
    """The dead-letter `field` label: a known field (list indexes dropped) or `other`."""
    name = ".".join(p for p in field.split(".") if not p.isdigit())
    return name if name in known_fields() else OTHER_FIELD


class WorkerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter("agora_worker_events_total", "Events processed, by agent and outcome",
                              ["agent", "outcome"], registry=self.registry)
        self.processing = Histogram(
            "agora_worker_processing_seconds", "Time to process one batch, by agent", ["agent"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry)
        self.freshness = Histogram(
            "agora_worker_freshness_seconds", "Broker append to visible in the online store",
            ["agent"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0),
            registry=self.registry)
        self.dead_letters = Counter(
            "agora_worker_dead_letters_total",
            "Events dead-lettered, by agent and contract field (other: not a known field)",
            ["agent", "field"], registry=self.registry)
        self.outbound = Counter("agora_worker_outbound_total", "Alerts and flags sent",
                                ["topic"], registry=self.registry)
        self.derived_delay = Histogram(
            "agora_worker_derived_delay_seconds",
            "A derived message's decision to its consumption by the worker's agent, by topic",
            ["topic"], buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
            registry=self.registry)
        self.lag = Gauge("agora_worker_consumer_lag", "High watermark minus position",
                         ["topic", "partition"], registry=self.registry)
        self.state = Gauge("agora_worker_state_entries", "Entries held in memory, by state",
                           ["state"], registry=self.registry)
        self.lake_files = Counter("agora_worker_lake_files_total", "Parquet files written",
                                  registry=self.registry)
        self.store_retries = Counter("agora_worker_store_retries_total",
                                     "Online-store calls retried", registry=self.registry)
        self.delivery_retries = Counter(
            "agora_worker_delivery_retries_total",
            "Rounds of dead letters or derived messages sent again after a failed delivery",
            registry=self.registry)
        self.spool_retries = Counter("agora_worker_spool_retries_total",
                                     "Lake spool appends retried", registry=self.registry)
        self.splits = Counter("agora_worker_batch_splits_total",
                              "Batches split in two to find the events at fault, by agent",
                              ["agent"], registry=self.registry)
        self.loop_errors = Counter(
            "agora_worker_loop_errors_total",
            "Unexpected errors in the consume loop (the batch carried on after a back-off)",
            registry=self.registry)
