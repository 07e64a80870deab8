"""`make bench-simulator`: how many events/s `agora simulate` produces into the real broker.

Flat out for a fixed duration against the embedded broker, beside the same producer sending
one constant pre-encoded message (the ceiling the generator itself can be compared with).
"""

from __future__ import annotations

import argparse
import time

from bench.report import write_result
from launch.broker import EmbeddedBroker, free_port
from launch.simulator.run import simulate


def raw_producer(bootstrap: str, duration_s: float) -> float:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 10,
                         "enable.idempotence": False, "queue.buffering.max.messages": 500_000})
    value = b'{"event_type":"product_viewed"}' * 6
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < duration_s:
        for _ in range(2000):
            try:
                producer.produce("commerce.events", value=value, key=b"u1")
            except BufferError:
                producer.poll(0.01)
            sent += 1
        producer.poll(0)
    producer.flush(30)
    return sent / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    with EmbeddedBroker(port=free_port()) as broker:
        print(f"simulating flat out for {args.duration:.0f}s ...", flush=True)
        report = simulate(bootstrap=broker.bootstrap, rate=0, duration_s=args.duration, seed=42,
                          bad_rate=0.01, progress=True)
        print(f"raw producer for {args.duration:.0f}s ...", flush=True)
        raw = raw_producer(broker.bootstrap, args.duration)
    write_result("simulator", {
        "command": "make bench-simulator",
        "events_per_s": round(report.events_per_s),
        "events": report.events,
        "malformed": report.malformed,
        "seconds": round(report.seconds, 2),
        "raw_producer_events_per_s": round(raw),
        "target_events_per_s": 5000,
    })


if __name__ == "__main__":
    main()
