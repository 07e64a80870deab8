"""Kafka client helpers every process shares: wait for a broker, declare the project's topics,
name the worker's consumer groups."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable


async def wait_for_metadata(bootstrap: str, timeout_s: float = 20.0) -> None:
    """Return once the broker answers a metadata request; raise TimeoutError otherwise."""
    from aiokafka import AIOKafkaClient

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    # aiokafka logs every refused connection as an error; here a refusal only means "not yet".
    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        while time.monotonic() < deadline:
            client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
            try:
                await client.bootstrap()
                return
            except Exception as exc:  # any failure here means "not yet"
                last = exc
                await asyncio.sleep(0.1)
            finally:
                await client.close()
    finally:
        quiet.setLevel(level)
    raise TimeoutError(f"broker at {bootstrap} did not answer metadata: {last}")


async def create_topics(bootstrap: str, topics: Iterable[str], partitions: int = 4) -> None:
    """Create the topics that do not exist yet."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(name=t, num_partitions=partitions, replication_factor=1)
               for t in topics if t not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


def faust_group(app_id: str) -> str:
    """The consumer group of the worker's Faust agents (the Faust app's id), beside its batched
    consumer's group `app_id`: each source topic is read by one of the two (agents/app.py)."""
    return f"{app_id}-app"
