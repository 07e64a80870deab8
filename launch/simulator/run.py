"""`agora simulate`: pace the traffic at a rate and produce it to Kafka."""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

import orjson

from contracts.topics import Topic, key_for, topic_for
from launch.simulator.traffic import Recommend, ServedList, Traffic

log = logging.getLogger(__name__)
TICK_S = 0.01


@dataclass
class SimulationReport:
    events: int
    malformed: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _produce(producer: Any, topic: str, value: bytes, key: bytes | None) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key)
            return
        except BufferError:  # local queue full: let deliveries drain, then retry
            producer.poll(0.05)


def api_recommend(api_url: str, api_key: str, timeout_s: float = 2.0) -> Recommend:
    """Ask the API for a user's list (the API publishes its `recommendation_served` with the
    model and variant that served it); None when it does not answer."""
    import urllib.parse
    import urllib.request

    def recommend(user_id: str) -> ServedList | None:
        url = (f"{api_url.rstrip('/')}/v1/users/{urllib.parse.quote(user_id, safe='')}"
               "/recommendations?k=10&surface=home")
        request = urllib.request.Request(url, headers={"X-API-Key": api_key})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:
                body = orjson.loads(answer.read())
        except (OSError, ValueError) as exc:
            log.debug("no recommendations for %s: %s", user_id, exc)
            return None
        return ServedList(request_id=str(body["request_id"]),
                          items=tuple(str(i["item_id"]) for i in body.get("items", [])))

    return recommend


def simulate(*, bootstrap: str, rate: float, duration_s: float, seed: int,
             bad_rate: float = 0.0, progress: bool = False,
             recommend: Recommend | None = None) -> SimulationReport:
    """Produce `rate` events/s for `duration_s` (0: until SIGINT/SIGTERM); rate 0: flat out.
    With `recommend` (`api_recommend`), simulated users click on the lists the API served."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 10,
                         "enable.idempotence": False, "queue.buffering.max.messages": 500_000,
                         "compression.type": "none", "acks": "1"})
    traffic = Traffic(seed=seed, bad_rate=bad_rate, recommend=recommend)
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = (signal.signal(signal.SIGTERM, _stop), signal.signal(signal.SIGINT, _stop))
    sent = bad = 0
    start = time.monotonic()
    next_report = start + 5
    try:
        while not stopping:
            now = time.monotonic()
            elapsed = now - start
            if duration_s and elapsed >= duration_s:
                break
            due = int(elapsed * rate) + 1 - sent if rate else 2000
            for _ in range(max(due, 0)):
                event = traffic.next()
                if isinstance(event, bytes):
                    _produce(producer, Topic.commerce, event, None)
                    bad += 1
                else:
                    _produce(producer, topic_for(event), orjson.dumps(event), key_for(event))
                sent += 1
            producer.poll(0)
            if progress and now >= next_report:
                print(f"simulate: {sent} events ({sent / elapsed:.0f}/s), {bad} malformed",
                      flush=True)
                next_report = now + 5
            if rate:
                time.sleep(TICK_S)
        producer.flush(30)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    return SimulationReport(events=sent, malformed=bad, seconds=time.monotonic() - start)
