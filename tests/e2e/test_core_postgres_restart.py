"""PostgreSQL restarted under `agora serve` and `agora relay` (real processes, a private
server): while it is down the API answers 503 with Retry-After, never a 500; afterwards 2xx
again, and the relay resumes by itself. Nothing is lost: every order a client was told about
is in the database once, and every outbox event reaches Kafka (at least once: counted
distinct by event_id)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy import func, select

from contracts import parse_event
from core.adapters.database import create_database_engine
from core.adapters.tables import orders, outbox
from core.migrations import upgrade
from launch.broker import EmbeddedBroker, free_port
from tests.e2e.private_postgres import PrivatePostgres, unavailable_reason

pytestmark = [pytest.mark.e2e, pytest.mark.own_broker]
ADMIN = {"X-API-Key": "e2e-admin-key-0123456789"}


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no private PostgreSQL: {reason}")
    pg = PrivatePostgres()
    try:
        pg.start()
        upgrade(pg.url)
        yield pg
    finally:
        pg.remove()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "launch.cli", *args], env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Storefront(threading.Thread):
    """Places orders one after another, each retried under its Idempotency-Key until it is
    answered (as a client honouring Retry-After would, only faster)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, headers=ADMIN, timeout=15)
        self.stop = threading.Event()
        self.down = threading.Event()
        self.placed: dict[str, str] = {}
        """order id → the status the client was told"""
        self.codes: Counter[int] = Counter()
        self.codes_down: Counter[int] = Counter()
        self.refused: list[str] = []

    def answered(self, path: str, body: dict[str, object], ok: int) -> httpx.Response | None:
        """The answer to `path`, retried under one Idempotency-Key through 503s."""
        key = uuid.uuid4().hex
        while not self.stop.is_set():
            r = self.client.post(path, headers={"Idempotency-Key": key}, json=body)
            (self.codes_down if self.down.is_set() else self.codes)[r.status_code] += 1
            if r.status_code == ok:
                return r
            if r.status_code != 503 or "retry-after" not in r.headers:
                self.refused.append(f"{path} {r.status_code}: {r.text[:300]}")
                return None
            time.sleep(0.05)
        return None

    def run(self) -> None:
        while not self.stop.is_set():
            r = self.answered("/v1/orders", {"user_id": "u1", "currency": "USD", "lines": [
                {"product_id": "mug", "quantity": 1}]}, ok=201)
            if r is None:
                continue
            order_id = r.json()["order_id"]
            self.placed[order_id] = "placed"
            if len(self.placed) % 3 == 0 and self.answered(
                    f"/v1/orders/{order_id}/pay", {"method": "card",
                                                   "source": "4242424242424242"}, ok=200):
                self.placed[order_id] = "paid"


def consume_ids(bootstrap: str, topics: set[str], wanted: set[str],
                timeout_s: float = 30) -> tuple[set[str], int]:
    """Distinct event ids on `topics` (until all `wanted` arrived) and the message count."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex,
                         "enable.auto.commit": False})
    assigned = [TopicPartition(t, p, OFFSET_BEGINNING) for t in topics
                for p in consumer.list_topics(t, timeout=10).topics[t].partitions]
    consumer.assign(assigned)
    seen: set[str] = set()
    messages = 0
    deadline = time.monotonic() + timeout_s
    idle_until = 0.0
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                if wanted <= seen and time.monotonic() > idle_until:
                    break  # everything arrived and nothing more for a while
                continue
            if msg.error():
                continue
            messages += 1
            seen.add(str(parse_event(msg.value() or b"").event_id))
            idle_until = time.monotonic() + 2
    finally:
        consumer.close()
    return seen, messages


def test_postgres_restart_under_serve_and_relay(postgres: PrivatePostgres,
                                                broker: EmbeddedBroker, tmp_path: Path):
    port = free_port()
    env = {**os.environ, "AGORA_DATABASE_URL": postgres.url,
           "AGORA_ADMIN_API_KEY": ADMIN["X-API-Key"], "AGORA_KAFKA_BOOTSTRAP": broker.bootstrap,
           "AGORA_DATA_DIR": str(tmp_path), "AGORA_LOG_LEVEL": "WARNING",
           "AGORA_DATABASE_POOL_SIZE": "4", "AGORA_RELAY_BACKOFF_MAX_S": "0.5",
           "AGORA_RELAY_DELIVERY_TIMEOUT_S": "5", "AGORA_SWEEP_INTERVAL_S": "1"}
    serve = spawn(["serve", "--port", str(port)], env, tmp_path / "serve.log")
    relay = spawn(["relay"], env, tmp_path / "relay.log")
    engine = create_database_engine(postgres.url, pool_size=1)
    base = f"http://127.0.0.1:{port}"
    shop = Storefront(base)
    try:
        wait_for(lambda: httpx.get(f"{base}/v1/catalog/products").status_code == 200,
                 "agora serve")
        product = {"sku": "mug", "title": "Mug", "category": "home",
                   "price": {"amount": "4.50", "currency": "USD"}}
        assert httpx.post(f"{base}/v1/catalog/products", json=product,
                          headers=ADMIN).status_code == 201
        assert httpx.post(f"{base}/v1/inventory/mug/restock", json={"quantity": 100_000},
                          headers=ADMIN).status_code == 200
        shop.start()
        wait_for(lambda: len(shop.placed) >= 20, "orders before the restart", 30)

        shop.down.set()
        postgres.stop()
        wait_for(lambda: shop.codes_down[503] >= 5, "503s while PostgreSQL is down", 20)
        time.sleep(3)  # long enough for the relay's backoff to reach its ceiling
        # a key the API has not seen needs the database too: 503, not 401 or 500
        probe = httpx.get(f"{base}/v1/orders/x", headers={"X-API-Key": uuid.uuid4().hex})
        assert probe.status_code == 503 and probe.headers["retry-after"].isdigit()
        postgres.start()
        shop.down.clear()

        after = len(shop.placed)
        wait_for(lambda: len(shop.placed) >= after + 20, "orders after the restart", 30)
        shop.stop.set()
        shop.join(20)
        assert httpx.get(f"{base}/v1/orders/x",
                         headers={"X-API-Key": uuid.uuid4().hex}).status_code == 401

        def drained() -> bool:
            with engine.connect() as conn:
                return conn.scalar(select(func.count()).select_from(outbox)
                                   .where(outbox.c.sent_at.is_(None))) == 0

        wait_for(drained, "the relay to publish the outbox", 30)
        assert serve.poll() is None and relay.poll() is None, "a process gave up"
    finally:
        shop.stop.set()
        for proc in (serve, relay):
            proc.terminate()
        for proc in (serve, relay):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()

    assert shop.refused == [], shop.refused  # no 500, no 503 without Retry-After
    assert set(shop.codes) <= {200, 201, 503} and shop.codes_down[503] > 0
    assert set(shop.codes_down) <= {200, 201, 503}, shop.codes_down
    with engine.connect() as conn:
        in_db = dict(conn.execute(select(orders.c.order_id, orders.c.status)).tuples().all())
        rows = conn.execute(select(outbox.c.event_id, outbox.c.topic)).all()
    engine.dispose()
    # each answered order once, none lost; every payment that was answered recorded (a pay
    # cut by the outage was finished by its retry under the same key)
    assert in_db == shop.placed and "paid" in in_db.values()
    wanted = {r.event_id for r in rows}
    seen, messages = consume_ids(broker.bootstrap, {r.topic for r in rows}, wanted)
    assert seen == wanted, f"{len(wanted - seen)} events missing, {len(seen - wanted)} strays"
    assert messages >= len(wanted)
