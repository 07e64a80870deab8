"""`python -m bench.fetch_wait`: how long the embedded broker (tansu) holds a consumer's fetch.

One record every 137 ms into an idle topic, read by an aiokafka consumer with each
`fetch_max_wait_ms`; the delay from send to `getmany` is the time the record waited for a
fetch to come back. Writes bench/results/fetch_wait.json (p50 and p95 in ms per setting).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.report import write_result
from launch.broker import EmbeddedBroker, free_port

WAITS_MS = (500, 100, 20)
RECORDS = 40


async def trial(bootstrap: str, wait_ms: int) -> dict[str, float]:
    topic = f"fetch-wait-{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    await producer.send_and_wait(topic, b"0")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic,
                                auto_offset_reset="earliest", fetch_max_wait_ms=wait_ms)
    await consumer.start()
    await consumer.getmany(timeout_ms=3000)  # the first record: the group has joined
    delays: list[float] = []

    async def read() -> None:
        while len(delays) < RECORDS:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                delays.extend(time.time() - float(r.value) for r in records)

    reader = asyncio.create_task(read())
    try:
        for _ in range(RECORDS):
            await producer.send_and_wait(topic, str(time.time()).encode())
            await asyncio.sleep(0.137)
        await asyncio.wait_for(reader, 20)
    finally:
        await consumer.stop()
        await producer.stop()
    delays.sort()
    return {"p50_ms": round(statistics.median(delays) * 1000, 1),
            "p95_ms": round(delays[int(0.95 * len(delays))] * 1000, 1)}


async def measure(bootstrap: str) -> dict[str, dict[str, float]]:
    return {str(w): await trial(bootstrap, w) for w in WAITS_MS}


def main() -> None:
    with EmbeddedBroker(port=free_port()) as broker:
        result = asyncio.run(measure(broker.bootstrap))
    write_result("fetch_wait", {"records": RECORDS, "by_fetch_max_wait_ms": result})


if __name__ == "__main__":
    main()
