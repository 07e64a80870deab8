"""Worker metrics, served at `/metrics` on the Faust web port (`AGORA_WORKER_WEB_PORT`).

One registry per app, so tests can build several apps in one process.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
        self.dead_letters = Counter("agora_worker_dead_letters_total", "Events dead-lettered",
                                    ["agent", "field"], registry=self.registry)
        self.outbound = Counter("agora_worker_outbound_total", "Alerts and flags sent",
                                ["topic"], registry=self.registry)
        self.lag = Gauge("agora_worker_consumer_lag", "High watermark minus position",
                         ["topic", "partition"], registry=self.registry)
        self.state = Gauge("agora_worker_state_entries", "Entries held in memory, by state",
                           ["state"], registry=self.registry)
        self.lake_files = Counter("agora_worker_lake_files_total", "Parquet files written",
                                  registry=self.registry)
        self.store_retries = Counter("agora_worker_store_retries_total",
                                     "Online-store writes retried", registry=self.registry)
