"""A real worker while the broker stops as dead letters are being sent.

The fault strikes once a burst of 300 large poisons has started coming back as dead letters,
so some are in flight: the worker's own metrics, read while the broker is down, show dead
letters made whose delivery is not acknowledged (bench.chaos). Two kinds of stop:

- frozen (SIGSTOP for 3 s, then SIGCONT): a hung broker or a partition; it keeps its data.
  The worker stays up, retries the deliveries, and afterwards every poison (the burst
  included) has its dead letter, no valid event has one, every valid event is applied and the
  totals are exact. While the broker answers, the group's committed offsets are sampled: no
  poison below a committed offset may lack its dead letter (the worker commits nothing
  before its dead letters are acknowledged).
- replaced (SIGKILL with requests unanswered, an empty broker started on the same port 3 s
  later): tansu keeps topics
  in memory only, so whatever the old broker held (undelivered source records, dead letters,
  the group's commits) is gone, and offsets start again at 0. The worker's consumer keeps
  its positions (no Kafka client re-checks them against a log that lost records without
  KIP-320, which aiokafka lacks), so the test first pads every partition of the new broker
  up to the old one's offsets with valid events that are not owed (read or skipped), as a
  broker that kept its log would stand. What remains meaningful, and is asserted: the worker
  stays up and does not dead-letter good events, it resumes on the new broker without being
  restarted, every event and poison sent to the new broker after the padding is applied or
  dead-lettered, and the store equals the lake exactly, padding included (nothing the worker
  held when the broker went away was applied twice or lost between store and lake).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest

from bench.chaos import Outcome, scenario
from bench.faults import BURST
from launch.broker import EmbeddedBroker, free_port
from tests.integration.agents.worker import require_redis_server

pytestmark = [pytest.mark.integration]


ATTEMPTS = 3  # a run whose fault missed the window (every letter already acknowledged)


async def _struck_while_sending(fault: str, tmp: Path,
                                check: Callable[[Outcome], None]) -> Outcome:
    """Run `fault` on a fresh broker until it strikes while dead letters are unacknowledged.

    Whether it does depends on scheduling (a fast worker may deliver the whole burst before
    the fault): a run that missed the window is still checked in full, then run again."""
    for attempt in range(1, ATTEMPTS + 1):
        (tmp / str(attempt)).mkdir()
        broker = EmbeddedBroker(port=free_port())
        await asyncio.to_thread(broker.start)  # a blocking start, off the test's loop
        try:
            o = await scenario(fault, broker=broker, tmp=tmp / str(attempt), events=4000)
        finally:
            broker.stop()
        check(o)
        if o.letters_pending_at_fault:
            return o
    pytest.fail(f"{fault}: the fault never struck while letters were sent in {ATTEMPTS} runs")


def _frozen(o: Outcome) -> None:
    report = asdict(o)
    assert o.worker_alive, report
    assert o.poisons >= BURST
    assert o.missing_poisons == [], report
    assert o.good_dead_lettered == 0, report
    assert o.applied == o.sent, report
    assert o.lost == 0, report
    assert o.exact, f"store {o.observed}, sent {o.expected}"
    assert o.commits_ahead_of_dead_letters == 0, report
    assert o.resume_s is not None


def _replaced(o: Outcome) -> None:
    report = asdict(o)
    assert o.worker_alive, report
    assert o.resume_s is not None
    assert o.missing_poisons == [], report  # of those sent to the new broker
    assert o.good_dead_lettered == 0, report
    assert o.applied == o.sent, report
    assert o.lost == 0, report
    assert o.exact, f"store {o.observed}, lake {o.expected}"


async def test_broker_frozen_while_dead_letters_are_sent(tmp_path: Path) -> None:
    require_redis_server()
    await _struck_while_sending("broker-freeze", tmp_path, _frozen)


async def test_broker_replaced_while_dead_letters_are_sent(tmp_path: Path) -> None:
    require_redis_server()
    await _struck_while_sending("broker-replace", tmp_path, _replaced)
