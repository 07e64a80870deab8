"""`make bench-core`: orders end to end on PostgreSQL, against a bare INSERT loop, same run.

orders_per_s: orders placed over HTTP (`agora serve`, 32 concurrent clients in their own
process, bench/core_load.py), committed with their outbox rows, published by `agora relay`
and read back from Kafka, divided by the time from the first request to the last
`order_placed` consumed. bare_inserts_per_s: one connection inserting and committing one small
row at a time into the same database. Beside them: the statements one order runs, the CPU
seconds of every process per order, and what the API's PostgreSQL backends were doing
(bench/core_probe.py). Then the flash sale: 500 clients at once ordering one product with
stock 100; exactly 100 must succeed (the others get 409) and the stock must end at 0 available,
100 reserved. Writes bench/results/core.json.

AGORA_BENCH_PYSPY=<dir> also records py-spy profiles (raw format) of the API and the relay
during the orders phase.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy import create_engine, text

from bench.core_probe import BackendSampler, CpuMeter
from core.migrations import upgrade
from launch.broker import EmbeddedBroker, free_port

POSTGRES = os.environ.get("AGORA_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "core_bench"
KEY = "bench-admin-key-0123456789"
ORDERS, CLIENTS, PRODUCTS, BARE = 3000, 32, 100, 3000
FLASH_CLIENTS, FLASH_STOCK = 500, 100
OUT = Path(__file__).parent / "results" / "core.json"


def _with(url: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def fresh_schema() -> str:
    engine = create_engine(POSTGRES)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    url = _with(POSTGRES, options=f"-csearch_path%3D{SCHEMA}")
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


def statements_per_order(url: str) -> dict[str, Any]:
    """What one one-line order with an Idempotency-Key sends on the API's path (`handle_async`
    as the route calls it), in this process: the statements, and the requests (round trips)
    that carry them."""
    from psycopg import AsyncClientCursor

    from core.bootstrap import bootstrap_database
    from core.domain.money import Money
    from core.service_layer import commands as c

    bus, close = bootstrap_database(database_url=url, pool_size=1)
    bus.handle(c.UpsertProduct(sku="count", title="Count", category="bench",
                               price=Money(amount=Decimal("1.00"), currency="USD")))
    bus.handle(c.Restock(sku="count", quantity=10))
    requests: list[list[str]] = []
    execute = AsyncClientCursor.execute

    async def traced(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        requests.append([" ".join(q.split()[:3]) for q in str(query).split(";") if q.strip()])
        return await execute(self, query, params, **kw)

    async def place() -> None:
        await bus.handle_async(c.PlaceOrder(user_id="count", currency="USD",
                                            lines=(c.LineRequest(sku="count", quantity=1),)),
                               idempotency_key="count")
        await bus.aclose()

    AsyncClientCursor.execute = traced  # type: ignore[method-assign]
    try:
        asyncio.run(place())
    finally:
        AsyncClientCursor.execute = execute  # type: ignore[method-assign]
        close()
    return {"round_trips": len(requests), "statements": sum(map(len, requests)),
            "requests": requests}


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "launch.cli", *args], env=env,
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
    if len(seen) == n:
        done.append(time.time())
    consumer.close()


def load(base: str, *, tag: str, orders: int, clients: int, products: int, prefix: str,
         burst: bool = False) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "bench.core_load", "--url", base, "--key", KEY, "--tag", tag,
            "--orders", str(orders), "--clients", str(clients), "--products", str(products),
            "--prefix", prefix, *(["--burst"] if burst else [])]
    return subprocess.Popen(args, stdout=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the load process failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def profile(pids: dict[str, int], out_dir: str | None) -> list[subprocess.Popen[bytes]]:
    if not out_dir:
        return []
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    return [subprocess.Popen([str(spy), "record", "--nonblocking", "--gil",
                              "-r", "100", "-f", "raw", "-p", str(pid),
                              "-o", f"{out_dir}/{name}.raw"], stderr=subprocess.DEVNULL)
            for name, pid in pids.items() if name in ("api", "relay")]


def orders_phase(base: str, url: str, broker: EmbeddedBroker,
                 pids: dict[str, int]) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    done: list[float] = []
    stop = threading.Event()
    consumer = threading.Thread(target=count_placed,
                                args=(broker.bootstrap, tag, ORDERS, done, stop))
    consumer.start()
    meter = CpuMeter(pids={**pids, "bench_consumer_sampler": os.getpid()})
    sampler = BackendSampler(url=url, prefix="core-bench", interval_s=0.05)
    spies = profile(pids, os.environ.get("AGORA_BENCH_PYSPY"))
    meter.start()
    sampler.start()
    client = finish(load(base, tag=tag, orders=ORDERS, clients=CLIENTS, products=PRODUCTS,
                         prefix="b"))
    consumer.join(120)
    stop.set()
    cpu = meter.stop()
    states, backend_cpu = sampler.stop()
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    if not done:
        raise RuntimeError("not every order reached Kafka")
    if client["statuses"] != {"201": ORDERS}:
        raise RuntimeError(f"orders failed: {client['statuses']}")
    cpu.update(postgres_api_relay=backend_cpu, client=client["cpu_s"])
    per_order = {k: round(v * 1000 / ORDERS, 2) for k, v in cpu.items()
                 if k != "machine_busy_share"}
    return {
        "orders_per_s": round(ORDERS / (done[0] - client["started_at"]), 1),
        "http_orders_per_s": round(ORDERS / client["wall_s"], 1),
        "order_p50_ms": client["p50_ms"], "order_p99_ms": client["p99_ms"],
        "cpu_ms_per_order": per_order, "machine_busy_share": cpu["machine_busy_share"],
        "backend_states": states,
    }


def flash_sale(base: str, api_pid: int) -> dict[str, Any]:
    headers = {"X-API-Key": KEY}
    httpx.post(f"{base}/v1/catalog/products", headers=headers, json={
        "sku": "flash0", "title": "Flash", "category": "bench",
        "price": {"amount": "1.00", "currency": "USD"}}).raise_for_status()
    httpx.post(f"{base}/v1/inventory/flash0/restock", json={"quantity": FLASH_STOCK},
               headers=headers).raise_for_status()
    meter = CpuMeter(pids={"api": api_pid})
    meter.start()
    client = finish(load(base, tag=f"flash{uuid.uuid4().hex[:6]}", orders=FLASH_CLIENTS,
                         clients=FLASH_CLIENTS, products=1, prefix="flash", burst=True))
    cpu = meter.stop()
    stock = httpx.get(f"{base}/v1/inventory/flash0").json()
    expected = {"201": FLASH_STOCK, "409": FLASH_CLIENTS - FLASH_STOCK}
    if client["statuses"] != expected or (stock["available"], stock["reserved"]) != (
            0, FLASH_STOCK):
        raise RuntimeError(f"flash sale broke: {client['statuses']}, stock {stock}")
    return {"clients": FLASH_CLIENTS, "stock": FLASH_STOCK, "statuses": client["statuses"],
            "wall_s": client["wall_s"], "p50_ms": client["p50_ms"],
            "api_cpu_ms_per_request": round(cpu["api"] * 1000 / FLASH_CLIENTS, 2),
            "machine_busy_share": cpu["machine_busy_share"],
            "p99_ms": client["p99_ms"], "max_ms": client["max_ms"],
            "final_stock": {"available": stock["available"], "reserved": stock["reserved"]}}


def seed(base: str) -> None:
    products = [{"sku": f"b{i}", "title": f"Bench {i}", "category": "bench",
                 "price": {"amount": "9.99", "currency": "USD"}} for i in range(PRODUCTS)]
    headers = {"X-API-Key": KEY}
    httpx.put(f"{base}/v1/catalog/products", json={"products": products},
              headers=headers, timeout=60).raise_for_status()
    for i in range(PRODUCTS):
        httpx.post(f"{base}/v1/inventory/b{i}/restock", json={"quantity": 1_000_000},
                   headers=headers).raise_for_status()


def main() -> None:
    url = fresh_schema()
    bare = bare_inserts(url, BARE)
    statements = statements_per_order(url)
    broker = EmbeddedBroker(port=free_port())
    broker.start()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        with TemporaryDirectory() as data_dir:
            port = free_port()
            env = {**os.environ, "AGORA_ADMIN_API_KEY": KEY,
                   "AGORA_KAFKA_BOOTSTRAP": broker.bootstrap, "AGORA_DATA_DIR": data_dir,
                   "AGORA_LOG_LEVEL": "WARNING"}
            procs["api"] = start(["serve", "--port", str(port)], {
                **env, "AGORA_DATABASE_URL": _with(url, application_name="core-bench-api")})
            procs["relay"] = start(["relay"], {
                **env, "AGORA_DATABASE_URL": _with(url, application_name="core-bench-relay")})
            base = f"http://127.0.0.1:{port}"
            wait_up(base)
            seed(base)
            pids = {name: p.pid for name, p in procs.items()}
            assert broker.process is not None
            pids["broker"] = broker.process.pid
            orders = orders_phase(base, url, broker, pids)
            flash = flash_sale(base, pids["api"])
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(15)
        broker.stop()
    result = {
        "orders": ORDERS, "clients": CLIENTS, "database": "postgresql",
        **{k: v for k, v in orders.items() if k in ("orders_per_s", "http_orders_per_s",
                                                    "order_p50_ms", "order_p99_ms")},
        "bare_inserts_per_s": round(bare, 1),
        "orders_over_bare": round(orders["orders_per_s"] / bare, 3),
        "statements_per_order": statements["statements"],
        "round_trips_per_order": statements["round_trips"],
        "statements": statements["requests"],
        "flash_sale": flash,
        **{k: v for k, v in orders.items() if k in ("cpu_ms_per_order", "machine_busy_share",
                                                    "backend_states")},
        "cpus": os.cpu_count(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
