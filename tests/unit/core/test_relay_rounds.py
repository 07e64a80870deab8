"""The relay's pacing between rounds: linger after a small round, none in a backlog."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from core.adapters.outbox import Claim, OutboxMessage
from core.entrypoints.relay import Relay


class Rounds:
    """An outbox that hands out claims of the given sizes, then nothing."""

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes, self.owner = list(sizes), "test"

    def claim(self, *, shards: int, batch: int, now: float) -> Claim:
        if not self.sizes:
            return Claim(shards=(), messages=())
        n = self.sizes.pop(0)
        return Claim(shards=(0,), messages=tuple(
            OutboxMessage(id=i, topic="t", key=b"k", value=b"v") for i in range(n)))

    def finish(self, claim: Claim, *, sent: bool) -> None:
        pass

    def purge_sent(self, **_: Any) -> int:
        return 0


class Publisher:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def publish(self, messages: Sequence[OutboxMessage]) -> None:
        self.batches.append(len(messages))

    def close(self) -> None:
        pass


class Waits(threading.Event):
    """A stop event that records each wait and stops the relay once it idles."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0.0))
        if len(self.waits) == 2:
            self.set()
        return self.is_set()


def test_small_rounds_linger_and_a_backlog_is_published_without_waiting():
    store, publisher = Rounds([500, 500, 7]), Publisher()
    relay = Relay(store=store, publisher_factory=lambda: publisher,
                  batch_size=500, linger_s=0.02, poll_interval_s=0.05)
    stop = Waits()
    relay.run(stop)
    assert publisher.batches == [500, 500, 7]
    # none after the full batches, a linger after the 7, then the idle poll
    assert stop.waits == [0.02, 0.05]
    assert relay.published == 1007
