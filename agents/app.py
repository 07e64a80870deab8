"""The Faust application: built by `create_app(settings)`, never at import time."""

from __future__ import annotations

import faust

from agents.trending import agent as trending
from agora.settings import WorkerSettings
from features.online import OnlineStore, open_store


def create_app(settings: WorkerSettings, *, store: OnlineStore | None = None) -> faust.App:
    app = faust.App(
        settings.worker_app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        # tansu holds a group join for half the session timeout: keep it short.
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.0,
        broker_rebalance_timeout=12.0,
        producer_linger=0.005,
        stream_wait_empty=False,
        web_enabled=True,
        web_port=settings.worker_web_port,
        web_bind="127.0.0.1",
    )
    online = store or open_store(settings.online_store_url)
    trending.register(app, store=online, settings=settings)
    return app


def run_worker(settings: WorkerSettings) -> None:
    """`agora worker`: run the agents until SIGINT/SIGTERM."""
    from faust.worker import Worker

    app = create_app(settings)
    worker = Worker(app, loglevel=settings.log_level.lower())
    worker.execute_from_commandline()
