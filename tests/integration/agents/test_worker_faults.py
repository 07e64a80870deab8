"""A real worker on the Redis store while Redis, or the worker itself, is killed -9.

Traffic (simulator events, hostile valid events and poisons, bench.chaos) is produced by an
outside client, half before the worker starts and half while it runs; the fault strikes
mid-stream. The Redis is a private `redis-server` on a free port (bench.faults), never the
shared one, with an append-only file fsynced on every write: the production setting for a
store that must survive a restart, so "exact afterwards" means the totals of every event
sent, not of those after the restart.

- Redis killed and restarted 3 s later: the worker waits (an outage is never the events'
  fault), so nothing but the poisons is dead-lettered, and afterwards every valid event is
  in the lake and orders, GMV cents and on-hand per product equal those sent.
- The worker killed -9 and restarted: the events after its last commit come again, and the
  store applies each event id once, so the same totals are exact.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from bench.chaos import Outcome, scenario
from launch.broker import EmbeddedBroker
from tests.integration.agents.worker import require_redis_server

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]


def assert_nothing_lost(o: Outcome) -> None:
    report = asdict(o)
    assert o.worker_alive, report
    assert o.missing_poisons == [], report
    assert o.good_dead_lettered == 0, report  # no outage became a dead letter
    assert o.applied == o.sent, report
    assert o.lost == 0, report
    assert o.exact, f"store {o.observed}, sent {o.expected}"
    assert o.commits_ahead_of_dead_letters == 0, report
    assert o.resume_s is not None, report


async def test_redis_killed_and_restarted_nothing_dead_lettered_totals_exact(
        broker: EmbeddedBroker, tmp_path: Path) -> None:
    require_redis_server()
    o = await scenario("redis-kill", broker=broker, tmp=tmp_path, events=4000)
    assert_nothing_lost(o)
    assert o.dead_lettered == o.poisons
    assert o.store_retries, asdict(o)  # the worker did meet the outage, mid-stream


async def test_kill9_of_the_worker_on_redis_keeps_totals_exact(
        broker: EmbeddedBroker, tmp_path: Path) -> None:
    require_redis_server()
    o = await scenario("worker-kill", broker=broker, tmp=tmp_path, events=4000)
    assert_nothing_lost(o)
