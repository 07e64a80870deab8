"""The trending agent: validates every source event, dead-letters the bad, counts the good."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import faust

from agents.deadletter import dead_letter
from agents.trending.logic import interactions, trending_writes
from agora.settings import WorkerSettings
from contracts import EventError, parse_event
from contracts.topics import SOURCE_TOPICS, Topic
from features.online import OnlineStore, StoreUnavailable, WriteBatch

log = logging.getLogger(__name__)


async def apply_with_retry(store: OnlineStore, batch: WriteBatch) -> None:
    """Block the partition until the store takes the batch: the events are not acked before."""
    delay = 0.1
    while True:
        try:
            await store.apply(batch)
            return
        except StoreUnavailable as exc:
            log.warning("online store unavailable, retrying in %.1fs: %s", delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def register(app: faust.App, *, store: OnlineStore, settings: WorkerSettings) -> None:
    source = app.topic(*SOURCE_TOPICS, key_type=bytes, value_type=bytes,
                       key_serializer="raw", value_serializer="raw")
    dlq = app.topic(Topic.dead_letter, key_serializer="raw", value_serializer="raw")

    @app.agent(source, name="trending")
    async def trending(stream: faust.StreamT[Any]) -> None:
        async for events in stream.take_events(settings.worker_batch_max,
                                               within=settings.worker_batch_within_s):
            valid = []
            pending: list[Awaitable[Any]] = []
            for ev in events:
                msg = ev.message
                try:
                    valid.append(parse_event(msg.value))
                except EventError as exc:
                    pending.append(await dlq.send(
                        key=msg.key,
                        value=dead_letter(raw=msg.value, error=str(exc), field=exc.field,
                                          topic=msg.topic, partition=msg.partition,
                                          offset=msg.offset, key=msg.key),
                    ))
            await apply_with_retry(store, trending_writes(
                interactions(valid), half_life_s=settings.trending_half_life_s))
            # Acks happen when this iteration ends: only after the dead letters are delivered.
            for fut in pending:
                await fut
