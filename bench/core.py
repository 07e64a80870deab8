"""`make bench-core`: orders end to end on PostgreSQL, against a bare INSERT loop, same run.

orders_per_s: orders placed over HTTP (`agora serve`, 32 concurrent clients), committed with
their outbox rows, published by `agora relay` and read back from Kafka, divided by the time
from the first request to the last `order_placed` consumed. bare_inserts_per_s: one connection
inserting and committing one small row at a time into the same database. Writes
bench/results/core.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import numpy as np
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy import create_engine, text

from agora.broker import EmbeddedBroker, free_port
from core.migrations import upgrade

POSTGRES = os.environ.get("AGORA_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "core_bench"
KEY = "bench-admin-key-0123456789"
ORDERS, CLIENTS, PRODUCTS, BARE = 3000, 32, 100, 3000
OUT = Path(__file__).parent / "results" / "core.json"


def fresh_schema() -> str:
    engine = create_engine(POSTGRES)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    url = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{SCHEMA}"
    upgrade(url)
    return url


def bare_inserts(url: str, n: int) -> float:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bare (id bigserial PRIMARY KEY, payload text)"))
    with engine.connect() as conn:
        started = time.perf_counter()
        for i in range(n):
            conn.execute(text("INSERT INTO bare (payload) VALUES (:p)"), {"p": f"row {i}"})
            conn.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return n / elapsed


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "agora.cli", *args], env=env,
                            stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/catalog/products", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError("agora serve did not come up")


def count_placed(bootstrap: str, tag: str, n: int, done: list[float],
                 stop: threading.Event) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex})
    topic = "commerce.events"
    parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    seen: set[str] = set()
    while len(seen) < n and not stop.is_set():
        msg = consumer.poll(0.2)
        if msg is None or msg.error():
            continue
        event = json.loads(msg.value() or b"{}")
        if event.get("event_type") == "order_placed" and event["user_id"].startswith(tag):
            seen.add(event["order_id"])
    done.append(time.perf_counter())
    consumer.close()


async def place_orders(base: str, tag: str) -> list[float]:
    rng = random.Random(7)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(ORDERS):
        queue.put_nowait(i)
    latencies: list[float] = []

    async def client_loop(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            body = {"user_id": f"{tag}-u{i % 500}", "currency": "USD",
                    "lines": [{"product_id": f"b{rng.randrange(PRODUCTS)}", "quantity": 1}]}
            t0 = time.perf_counter()
            r = await client.post("/v1/orders", json=body, headers={"Idempotency-Key": str(i)})
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 201:
                raise RuntimeError(f"order failed: {r.status_code} {r.text}")

    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": KEY}, timeout=60,
                                 limits=httpx.Limits(max_connections=CLIENTS)) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(CLIENTS)))
    return latencies


def main() -> None:
    url = fresh_schema()
    bare = bare_inserts(url, BARE)
    broker = EmbeddedBroker(port=free_port())
    broker.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with TemporaryDirectory() as data_dir:
            port = free_port()
            env = {**os.environ, "AGORA_DATABASE_URL": url, "AGORA_ADMIN_API_KEY": KEY,
                   "AGORA_KAFKA_BOOTSTRAP": broker.bootstrap, "AGORA_DATA_DIR": data_dir,
                   "AGORA_LOG_LEVEL": "WARNING"}
            procs.append(start(["serve", "--port", str(port)], env))
            procs.append(start(["relay"], env))
            base = f"http://127.0.0.1:{port}"
            wait_up(base)
            products = [{"sku": f"b{i}", "title": f"Bench {i}", "category": "bench",
                         "price": {"amount": "9.99", "currency": "USD"}} for i in range(PRODUCTS)]
            headers = {"X-API-Key": KEY}
            httpx.put(f"{base}/v1/catalog/products", json={"products": products},
                      headers=headers, timeout=60).raise_for_status()
            for i in range(PRODUCTS):
                httpx.post(f"{base}/v1/inventory/b{i}/restock", json={"quantity": 1_000_000},
                           headers=headers).raise_for_status()
            tag = uuid.uuid4().hex[:8]
            done: list[float] = []
            stop = threading.Event()
            consumer = threading.Thread(target=count_placed,
                                        args=(broker.bootstrap, tag, ORDERS, done, stop))
            consumer.start()
            started = time.perf_counter()
            latencies = asyncio.run(place_orders(base, tag))
            http_done = time.perf_counter()
            consumer.join(120)
            stop.set()
            if not done:
                raise RuntimeError("not every order reached Kafka")
    finally:
        for p in procs:
            p.terminate()
            p.wait(15)
        broker.stop()
    lat = np.asarray(latencies)
    result = {
        "orders": ORDERS, "clients": CLIENTS, "database": "postgresql",
        "orders_per_s": round(ORDERS / (done[0] - started), 1),
        "http_orders_per_s": round(ORDERS / (http_done - started), 1),
        "order_p50_ms": round(float(np.percentile(lat, 50)) * 1000, 1),
        "order_p99_ms": round(float(np.percentile(lat, 99)) * 1000, 1),
        "bare_inserts_per_s": round(bare, 1),
        "cpus": os.cpu_count(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
