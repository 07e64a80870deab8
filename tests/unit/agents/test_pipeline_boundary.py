"""The fault boundary of `Pipeline.process` on the embedded store: one event at fault is a dead
letter and the rest of its batch is applied once; an outage is waited for, never a letter."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from agents.lake.spool import LakeSpool
from features.online import (
    OnlineStore,
    StoreUnavailable,
)
from features.online.sqlite_store import SqliteStore
from tests.unit.agents.pipeline_kit import (
    BAD,
    TOPIC,
    Faulty,
    MemoryTopic,
    applied,
    as_spooled,
    pipeline,
    records,
    spooled,
    viewed,
)


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(path=tmp_path / "online.db")


@pytest.fixture
def spool(tmp_path: Path) -> LakeSpool:
    return LakeSpool(lake_root=tmp_path / "lake")


def _batch(n: int, bad_at: int) -> list[bytes]:
    return [viewed(BAD if i == bad_at else f"P{i}", user=f"u{i}") for i in range(n)]


@pytest.mark.parametrize(("step", "field"), [("prepare", "processing"),
                                             ("writes", "processing"),
                                             ("huge", "store"), ("refused", "store")])
async def test_only_the_event_at_fault_is_dead_lettered(step: str, field: str, store: SqliteStore,
                                                        spool: LakeSpool) -> None:
    dlq = MemoryTopic()
    p = pipeline(Faulty(step), store, spool, dlq)
    raws = _batch(40, bad_at=17)
    await p.process(records(raws, TOPIC))
    [letter] = dlq.letters()
    assert (letter["source"]["offset"], letter["stage"], letter["field"]) == (17, "process", field)
    assert letter["original"] == raws[17].decode()
    assert await applied(store, "commerce") == 39  # each good event once, none twice
    assert sorted(spooled(spool)) == sorted(as_spooled(r) for i, r in enumerate(raws) if i != 17)
    assert p.metrics.splits.labels("commerce")._value.get() > 0
    # The next batch goes through whole.
    await p.process(records(_batch(5, bad_at=-1), TOPIC, start=40))
    assert await applied(store, "commerce") == 44
    assert len(dlq.sent) == 1


async def test_a_failing_decision_dead_letters_the_event_whose_writes_stay(
        store: SqliteStore, spool: LakeSpool) -> None:
    dlq = MemoryTopic()
    p = pipeline(Faulty("after"), store, spool, dlq)
    await p.process(records(_batch(20, bad_at=3), TOPIC))
    [letter] = dlq.letters()
    assert (letter["source"]["offset"], letter["stage"]) == (3, "after")
    assert await applied(store, "commerce") == 20
    assert len(spooled(spool)) == 20


class Flaky:
    """The real store, unavailable for the first `failures` calls of each method."""

    def __init__(self, inner: OnlineStore, failures: int) -> None:
        self.inner, self.failures, self.calls = inner, failures, dict[str, int]()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            if self.calls[name] <= self.failures:
                raise StoreUnavailable(f"{name}: connection refused")
            return await method(*args, **kwargs)
        return call


class LookingUp(Faulty):
    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        await store.get_many(["lookup"])


async def test_an_outage_is_waited_for_and_never_a_dead_letter(store: SqliteStore,
                                                               spool: LakeSpool) -> None:
    dlq = MemoryTopic()
    flaky = Flaky(store, failures=2)
    p = pipeline(LookingUp("none"), flaky, spool, dlq)
    await p.process(records(_batch(25, bad_at=-1), TOPIC))
    assert dlq.sent == []
    assert flaky.calls["get_many"] >= 3 and flaky.calls["apply"] >= 3
    assert await applied(store, "commerce") == 25
    assert p.metrics.store_retries._value.get() >= 4
    assert p.metrics.splits.labels("commerce")._value.get() == 0


class FlakyTopic(MemoryTopic):
    """Refuses the first sends, then fails the first acknowledgements."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals, self.lost = 2, 1

    async def send(self, *, key: bytes | None, value: bytes) -> Any:
        if self.refusals:
            self.refusals -= 1
            raise KafkaConnectionError("broker down")
        fut = await super().send(key=key, value=value)
        if self.lost:
            self.lost -= 1
            self.sent.pop()
            fut = fut.get_loop().create_future()
            fut.set_exception(KafkaConnectionError("not acknowledged"))
        return fut


async def test_dead_letters_are_delivered_through_broker_failures(store: SqliteStore) -> None:
    dlq = FlakyTopic()
    p = pipeline(Faulty("writes"), store, None, dlq)
    garbage = [b"{", b"\xff", b"[]"]
    await p.process(records([*garbage, *_batch(4, bad_at=1)], TOPIC))
    offsets = sorted(letter["source"]["offset"] for letter in dlq.letters())
    assert offsets == [0, 1, 2, 4]
    assert p.metrics.delivery_retries._value.get() >= 1
    assert await applied(store, "commerce") == 3


class BrokenOnce(LakeSpool):
    def __init__(self, root: Path) -> None:
        super().__init__(lake_root=root)
        self.broken = True

    def append(self, raws: Any) -> None:
        if self.broken:
            self.broken = False
            raise RuntimeError("a bug in a later step")
        super().append(raws)


async def test_a_bug_in_a_step_is_retried_without_applying_twice(store: SqliteStore,
                                                                 tmp_path: Path) -> None:
    spool = BrokenOnce(tmp_path / "lake")
    p = pipeline(Faulty("none"), store, spool)
    await p.process(records(_batch(10, bad_at=-1), TOPIC))
    assert p.metrics.loop_errors._value.get() == 1
    assert await applied(store, "commerce") == 10
    assert len(spooled(spool)) == 10
