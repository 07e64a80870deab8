"""Validate replayed events against the contracts and produce them to Kafka at a speed.

`speed` 0 produces as fast as the broker takes them; `speed` X waits (gap between the events'
own timestamps) / X between events, each wait capped at `max_wait_s` so that the night
between two trading days does not stall a replay. Events that break their contract are
counted and logged, never produced.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from contracts import EventError, dump_event, key_for, parse_event, topic_for

log = logging.getLogger(__name__)
SLEEP_MIN_S = 0.005
DATASETS = {"movielens": "movielens", "online-retail": "online_retail",
            "stackexchange": "stackexchange"}


def load(dataset: str, path: str | Path) -> list[dict[str, Any]]:
    """The events of a dataset (a name of `DATASETS`) under `path`, sorted by time."""
    module = importlib.import_module(f"launch.replay.{DATASETS[dataset]}")
    events: list[dict[str, Any]] = module.load(Path(path))
    return events


@dataclass(frozen=True, kw_only=True)
class ReplayReport:
    produced: int
    invalid: int
    seconds: float
    by_type: dict[str, int]

    @property
    def events_per_s(self) -> float:
        return self.produced / self.seconds if self.seconds else 0.0


@dataclass(kw_only=True)
class Pacer:
    """Turns event-time gaps into wall-clock waits: gap / speed, each capped."""

    speed: float
    max_wait_s: float = 5.0
    _last: datetime | None = None
    _due: float = 0.0

    def wait_for(self, occurred_at: datetime) -> float:
        """Seconds to sleep before producing an event with this time (0 when flat out)."""
        if self.speed <= 0:
            return 0.0
        now = time.monotonic()
        if self._last is None:
            self._due = now
        else:
            gap = max(0.0, (occurred_at - self._last).total_seconds())
            self._due = max(self._due, now - self.max_wait_s) + min(gap / self.speed,
                                                                     self.max_wait_s)
        self._last = occurred_at
        return max(0.0, self._due - now)


def _producer(bootstrap: str) -> Any:
    from confluent_kafka import Producer

    # Not idempotent: tansu refuses idempotent producers. Event ids make redelivery harmless.
    return Producer({"bootstrap.servers": bootstrap, "linger.ms": 10, "acks": "all",
                     "enable.idempotence": False, "queue.buffering.max.messages": 500_000})


def replay(events: Sequence[dict[str, Any]] | Iterable[dict[str, Any]], *, bootstrap: str,
           speed: float = 0.0, limit: int | None = None, max_wait_s: float = 5.0,
           progress: bool = False) -> ReplayReport:
    """Produce `events` (sorted by time) to their topics, keyed by `contracts.key_for`."""
    from tqdm import tqdm

    total = len(events) if isinstance(events, Sequence) else None
    if limit is not None:
        total = min(total, limit) if total is not None else limit
    producer = _producer(bootstrap)
    failures: list[str] = []

    def delivered(err: Any, msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    pacer = Pacer(speed=speed, max_wait_s=max_wait_s)
    by_type: dict[str, int] = {}
    produced = invalid = 0
    started = time.monotonic()
    bar = tqdm(total=total, unit="ev", disable=not progress, mininterval=0.5)
    for n, raw in enumerate(events):
        if limit is not None and n >= limit:
            break
        bar.update(1)
        try:
            event = parse_event(raw)
        except EventError as exc:
            invalid += 1
            log.warning("replay: skipped event %s: %s", raw.get("event_id"), exc)
            continue
        if (wait := pacer.wait_for(event.occurred_at)) > SLEEP_MIN_S:
            producer.poll(0)
            time.sleep(wait)
        value = dump_event(event)
        while True:
            try:
                producer.produce(topic_for(event), value=value, key=key_for(event),
                                 on_delivery=delivered)
                break
            except BufferError:  # local queue full: let deliveries drain
                producer.poll(0.05)
        produced += 1
        by_type[event.event_type] = by_type.get(event.event_type, 0) + 1
        if produced % 5000 == 0:
            producer.poll(0)
    left = producer.flush(60)
    bar.close()
    if left or failures:
        raise RuntimeError(f"replay: {left} events undelivered, {len(failures)} failed "
                           f"({failures[:3]})")
    return ReplayReport(produced=produced, invalid=invalid,
                        seconds=time.monotonic() - started, by_type=by_type)
