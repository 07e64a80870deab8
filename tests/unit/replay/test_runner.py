"""The replay runner: contract checks, topics and keys, pacing, limit (fake producer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from launch.replay import runner
from launch.replay.runner import Pacer, replay


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    def produce(self, topic: str, *, value: bytes, key: bytes, on_delivery: Any) -> None:
        self.sent.append((topic, key, value))
        on_delivery(None, None)

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        return 0


def order(n: int, *, total: float = 10.0) -> dict[str, Any]:
    return {"event_id": f"00000000-0000-0000-0000-{n:012d}",
            "event_type": "order_placed",
            "occurred_at": datetime(2011, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
            "user_id": f"u{n}", "session_id": None, "order_id": f"o{n}", "currency": "GBP",
            "lines": [{"product_id": "p", "quantity": 1, "unit_price": total}], "total": total}


@pytest.fixture
def producer(monkeypatch: pytest.MonkeyPatch) -> FakeProducer:
    fake = FakeProducer()
    monkeypatch.setattr(runner, "_producer", lambda bootstrap: fake)
    return fake


def test_valid_events_go_to_their_topic_keyed_by_user(producer: FakeProducer) -> None:
    events = [order(1), order(2, total=-1.0), order(3)]
    report = replay(events, bootstrap="x", limit=None)
    assert (report.produced, report.invalid) == (2, 1)
    assert [(t, k) for t, k, _ in producer.sent] == [("commerce.events", b"u1"),
                                                     ("commerce.events", b"u3")]
    assert report.by_type == {"order_placed": 2}


def test_limit_counts_events_read(producer: FakeProducer) -> None:
    assert replay([order(i) for i in range(10)], bootstrap="x", limit=4).produced == 4


def test_pacer_divides_gaps_by_speed_and_caps_them() -> None:
    t0 = datetime(2011, 1, 1, tzinfo=UTC)
    flat = Pacer(speed=0)
    assert flat.wait_for(t0) == 0 and flat.wait_for(t0 + timedelta(days=1)) == 0
    pacer = Pacer(speed=60.0, max_wait_s=5.0)
    assert pacer.wait_for(t0) == 0
    assert pacer.wait_for(t0 + timedelta(seconds=60)) == pytest.approx(1.0, abs=0.05)
    pacer = Pacer(speed=60.0, max_wait_s=5.0)
    pacer.wait_for(t0)
    assert pacer.wait_for(t0 + timedelta(days=1)) == pytest.approx(5.0, abs=0.05)


def test_load_dispatches_by_dataset_name() -> None:
    assert set(runner.DATASETS) == {"movielens", "online-retail", "stackexchange"}
    with pytest.raises(KeyError):
        runner.load("nope", ".")
