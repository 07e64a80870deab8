"""Faust's agents (agents.streams): who reads which topic, and the derived topics' reader."""

from __future__ import annotations

from pathlib import Path

import orjson

from agents.app import create_app
from agents.metrics import WorkerMetrics
from agents.streams import PER_MESSAGE_TOPICS, DerivedReader, Record
from agora.settings import WorkerSettings
from contracts.topics import SOURCE_TOPICS, Topic
from features.online.sqlite_store import SqliteStore
from tests.unit.agents.pipeline_kit import MemoryTopic


def count(metrics: WorkerMetrics, agent: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "agora_worker_events_total", {"agent": agent, "outcome": outcome})
    return value or 0.0


def alert(product: str, status: str, at: float) -> Record:
    body = {"alert": "low_stock", "status": status, "product_id": product, "on_hand": 1,
            "threshold": 5, "alert_id": f"{product}:0", "at": at}
    return Record(Topic.inventory_alerts, 0, 0, product.encode(), orjson.dumps(body))


async def test_a_redelivered_message_counts_once_and_an_unreadable_one_is_a_dead_letter(
) -> None:
    metrics, dlq = WorkerMetrics(), MemoryTopic()
    reader = DerivedReader(topic=Topic.inventory_alerts, metrics=metrics, dlq=dlq)
    opened, cleared = alert("p1", "open", 100.0), alert("p1", "cleared", 200.0)
    await reader.read([opened, opened, cleared])
    await reader.read([opened, Record(Topic.inventory_alerts, 2, 7, b"k", b"{")])
    assert (count(metrics, "alerts", "ok"), count(metrics, "alerts", "repeat"),
            count(metrics, "alerts", "dead_letter")) == (2, 2, 1)
    (letter,) = dlq.letters()
    assert letter["source"] == {"topic": Topic.inventory_alerts, "partition": 2, "offset": 7,
                                "key": "k"}
    assert (letter["stage"], letter["original"]) == ("parse", "{")
    assert metrics.registry.get_sample_value(
        "agora_worker_derived_delay_seconds_count", {"topic": Topic.inventory_alerts}) == 2


async def test_flags_are_told_apart_by_id_and_decision_time() -> None:
    metrics, dlq = WorkerMetrics(), MemoryTopic()
    reader = DerivedReader(topic=Topic.moderation_flags, metrics=metrics, dlq=dlq)

    def flag(at: float) -> Record:
        return Record(Topic.moderation_flags, 0, 0, b"t", orjson.dumps(
            {"flag_id": "reports:t", "target_id": "t", "reason": "reported", "detail": "",
             "at": at}))
    await reader.read([flag(1.0), flag(1.0), flag(2.0)])
    assert (count(metrics, "flags", "ok"), count(metrics, "flags", "repeat")) == (2, 1)


def test_faust_agents_read_impressions_clicks_and_the_derived_topics(tmp_path: Path) -> None:
    """The rest of the source topics is the batched consumer's (agents.app): none twice."""
    settings = WorkerSettings(data_dir=tmp_path, lake_enabled=False)
    app = create_app(settings, store=SqliteStore(path=tmp_path / "online.db"))
    faust_topics = {t for agent in app.agents.values() for t in agent.channel.topics}
    assert faust_topics == {Topic.recommendation, Topic.inventory_alerts,
                            Topic.moderation_flags}
    assert faust_topics & set(SOURCE_TOPICS) == set(PER_MESSAGE_TOPICS)
