"""The worker's Faust application: built by `create_app(settings)`, never at import time.

Two consumers feed the pipelines of the bounded contexts (agents.pipeline):

- the firehose (`commerce.events`, `community.events`, `podcast.events`, `identity.events`):
  `BatchIngest` (agents.ingest), aiokafka `getmany` batches, run as a service of the app,
  group `<AGORA_WORKER_APP_ID>`; offsets committed after each batch is processed;
- `recommendation.events` (impressions, clicks) and the derived `alerts.inventory` and
  `moderation.flags`: Faust's own agents (agents.streams), group `<AGORA_WORKER_APP_ID>-app`;
  a batch's messages acked once it is processed, committed every `broker_commit_interval`
  (1 s).

Faust also hosts the worker: signals, the web server with `/metrics`, timers (lake flush,
gauges) and the producer of dead letters and derived messages.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterable
from typing import Any

import faust
from mode import ServiceT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agents.commerce.context import CommerceContext
from agents.community.context import CommunityContext
from agents.community.moderation import load_scorer
from agents.context import Context
from agents.identity.context import IdentityContext
from agents.ingest import BatchIngest
from agents.lake.spool import LakeSpool
from agents.metrics import WorkerMetrics
from agents.pipeline import Pipeline
from agents.podcast.context import PodcastContext
from agents.recommendation.context import RecommendationContext
from agents.streams import PER_MESSAGE_TOPICS, faust_lag, install_agents
from agora.kafka import faust_group
from agora.settings import WorkerSettings
from contracts.topics import Topic
from features.lake import maintain
from features.online import OnlineStore, open_store

log = logging.getLogger(__name__)

# The collector's thresholds for the worker: a young collection every 10,000 allocations, not
# 700 (a batch allocates and drops hundreds of thousands of objects; docs/benchmarks.md, Stream).
GC_THRESHOLDS = (10_000, 50, 1000)


def contexts(settings: WorkerSettings) -> dict[str, Context]:
    """Each source topic and the context that consumes it."""
    return {
        Topic.commerce: CommerceContext(
            once_ttl_s=settings.once_ttl_s, cover_days=settings.low_stock_cover_days,
            min_units=settings.low_stock_min_units, thresholds=settings.low_stock_thresholds),
        Topic.community: CommunityContext(
            half_life_s=settings.hot_half_life_s, reporters=settings.moderation_reporters,
            posts_per_minute=settings.moderation_posts_per_minute,
            scorer=load_scorer(settings.moderation_scorer),
            text_threshold=settings.moderation_text_threshold),
        Topic.podcast: PodcastContext(once_ttl_s=settings.once_ttl_s),
        Topic.identity: IdentityContext(),
        Topic.recommendation: RecommendationContext(),
    }


class WorkerApp(faust.App):
    """The Faust app, with the batched consumer started beside Faust's own services."""

    ingest: ServiceT | None = None

    def on_init_dependencies(self) -> Iterable[ServiceT]:
        # Right after the producer (which its pipelines send with), so it starts before
        # Faust's consumer has joined its group, not after (an app task would wait for that
        # join), and stops before the producer. Its start does not wait for its own group's
        # join either (agents.ingest), so the two groups join at the same time.
        services = list(super().on_init_dependencies())
        if self.ingest is not None:
            at = next((i + 1 for i, s in enumerate(services) if s is self.producer), 0)
            services.insert(at, self.ingest)
        return services


def create_app(settings: WorkerSettings, *, store: OnlineStore | None = None) -> faust.App:
    app = WorkerApp(
        faust_group(settings.worker_app_id),  # its consumer group: agents.streams
        broker=f"kafka://{settings.kafka_bootstrap}",
        datadir=str(settings.data_dir / "faust"),  # not ./<app id>-data in the caller's cwd
        consumer_auto_offset_reset="earliest",  # a new group reads the topics from the start
        # tansu holds a group join for half the session timeout: keep it short.
        broker_session_timeout=settings.worker_session_timeout_s,
        broker_heartbeat_interval=max(0.5, settings.worker_session_timeout_s / 6),
        broker_rebalance_timeout=2 * settings.worker_session_timeout_s,
        broker_commit_interval=1.0,
        producer_linger=0.005,
        stream_wait_empty=False,  # a stop does not wait for buffered messages: redelivered
        web_port=settings.worker_web_port,
        web_bind=settings.worker_web_bind,
    )
    online = store or open_store(settings.online_store_url)
    metrics = WorkerMetrics()
    spool = (LakeSpool(lake_root=settings.lake, max_bytes=settings.lake_flush_bytes,
                       max_age_s=settings.lake_flush_s) if settings.lake_enabled else None)
    dlq = app.topic(Topic.dead_letter, key_serializer="raw", value_serializer="raw")
    derived: dict[str, Any] = {
        t: app.topic(t, key_serializer="raw", value_serializer="raw")
        for t in (Topic.inventory_alerts, Topic.moderation_flags)}
    by_topic = contexts(settings)
    pipelines = {
        topic: Pipeline(context=ctx, store=online, spool=spool, metrics=metrics, dlq=dlq,
                        topics=derived, half_life_s=settings.trending_half_life_s)
        for topic, ctx in by_topic.items()
    }
    install_agents(app, pipelines={t: p for t, p in pipelines.items() if t in PER_MESSAGE_TOPICS},
                   metrics=metrics, dlq=dlq, max_records=settings.worker_batch_max,
                   within_s=settings.worker_batch_within_s)
    ingest = BatchIngest(bootstrap=settings.kafka_bootstrap, group_id=settings.worker_app_id,
                         pipelines={t: p for t, p in pipelines.items()
                                    if t not in PER_MESSAGE_TOPICS},
                         max_records=settings.worker_batch_max,
                         within_s=settings.worker_batch_within_s,
                         session_timeout_s=settings.worker_session_timeout_s)
    app.ingest = ingest

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(metrics.registry),
                         content_type=CONTENT_TYPE_LATEST.split(";")[0] + "; version=0.0.4")

    @app.timer(interval=5.0)
    async def gauges() -> None:
        for tp, lag in (await ingest.lag()).items():
            metrics.lag.labels(tp.topic, str(tp.partition)).set(lag)
        for (topic, partition), lag in (await faust_lag(app)).items():
            metrics.lag.labels(topic, str(partition)).set(lag)
        for ctx in by_topic.values():
            for attr in ("posts", "served"):
                if hasattr(ctx, attr):
                    metrics.state.labels(f"{ctx.name}.{attr}").set(len(getattr(ctx, attr)))
        if spool is not None:
            metrics.state.labels("lake.spool_bytes").set(spool.pending_bytes)

    if spool is not None:
        first = True

        @app.timer(interval=min(1.0, settings.lake_flush_s))
        async def lake_flush() -> None:
            nonlocal first
            segments = spool.orphans() if first else []
            first = False
            if spool.due() and (segment := spool.rotate()) is not None:
                segments.append(segment)
            for segment in segments:
                metrics.lake_files.inc(await asyncio.to_thread(spool.convert, segment))

    if spool is not None and settings.lake_compact_every_s > 0:

        @app.timer(interval=settings.lake_compact_every_s)
        async def lake_maintenance() -> None:
            # Off the event loop: it rewrites whole partitions. Workers sharing the lake
            # take turns per partition (a lock file), so each partition is compacted once.
            await asyncio.to_thread(maintain, settings.lake,
                                    retention_days=settings.lake_retention_days)
    return app


def tune_collector() -> None:
    """What the process has built so far (modules, the app: it lives as long as the process)
    moved out of the collector's sight, and young collections made rarer. Every full
    collection otherwise walked those ~200,000 objects again: gc.freeze() took the pipeline's
    CPU from 25 to 20 µs an event (bench.hotpath)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_worker(settings: WorkerSettings) -> None:
    """`agora worker`: run the consumers and agents until SIGINT/SIGTERM."""
    from faust.worker import Worker

    app = create_app(settings)
    worker = Worker(app, loglevel=settings.log_level.lower())
    # At WARN and above Faust's terminal spinner sets the root logger to DEBUG (it spins on
    # every record): aiokafka then builds a record for every fetch, send and commit, 4.8% of
    # the worker's samples (docs/benchmarks.md, Stream).
    worker.spinner = None
    tune_collector()
    worker.execute_from_commandline()
