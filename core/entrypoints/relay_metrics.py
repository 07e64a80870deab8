"""`agora relay`'s /metrics (the `agora-relay` scrape job): the outbox backlog it drains.

Read from the outbox table at scrape time (one count per scrape), so the relay's loop stays
as it is and any relay of the group reports the same backlog.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from core.adapters.outbox import OutboxStore

log = logging.getLogger(__name__)


class RelayCollector(Collector):
    def __init__(self, store: OutboxStore) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            pending, up = float(self.store.pending()), 1.0
        except SQLAlchemyError as exc:  # the scrape still answers: the database is the news
            log.warning("outbox backlog unreadable (%s)", type(exc).__name__)
            pending, up = float("nan"), 0.0
        yield GaugeMetricFamily("agora_relay_outbox_pending_messages",
                                "Outbox rows not yet published to Kafka.", value=pending)
        yield GaugeMetricFamily("agora_relay_database_up",
                                "1 when the relay's database answered the last scrape.",
                                value=up)


def serve_relay_metrics(*, database_url: str, port: int, bind: str) -> None:
    from core.adapters.database import create_database_engine

    store = OutboxStore(engine=create_database_engine(database_url, pool_size=1),
                        owner="metrics")
    registry = CollectorRegistry()
    registry.register(RelayCollector(store))
    start_http_server(port, addr=bind, registry=registry)
