"""Poison from an outside client, mixed into simulator traffic, through a real worker.

librdkafka (confluent-kafka) produces normal traffic with every poison of bench.poison mixed
in (dates past the largest datetime, numbers no store holds, 200 KB of control characters,
invalid UTF-8, deep nesting, unknown types, non-JSON, empty values, null keys) and hostile but
valid events (products named `ack`, `{x}`, 128-character and non-ASCII ids, the largest
amount and stock): half before the worker starts, half while it runs. The worker stays up,
every poison has its dead letter in `events.dead_letter` (matched by source topic, partition
and offset), no valid event has one, every valid event is in the lake, and orders, GMV cents
and on-hand per product in the store equal those of the valid events sent.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from bench.chaos import scenario
from launch.broker import EmbeddedBroker
from tests.integration.agents.worker import require_redis_server

pytestmark = [pytest.mark.e2e, pytest.mark.own_broker]

LETTER_BOUND = 64 << 10  # far below the producer's 1 MiB, and below the 200 KB poison


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_poison_events_are_dead_lettered_and_the_rest_is_exact(
        broker: EmbeddedBroker, tmp_path: Path, store: str) -> None:
    if store == "redis":
        require_redis_server()  # its own redis-server, not the shared one
    o = await scenario("poison", broker=broker, tmp=tmp_path, store=store, events=4000)
    report = asdict(o)
    assert o.worker_alive, report
    assert o.poisons >= 30
    assert o.missing_poisons == [], report
    assert o.dead_lettered == o.poisons
    assert o.good_dead_lettered == 0, report
    assert o.applied == o.sent, report
    assert o.lost == 0
    assert o.exact, f"store {o.observed}, sent {o.expected}"
    assert o.largest_dead_letter_bytes <= LETTER_BOUND, report
    assert o.commits_ahead_of_dead_letters == 0, report
