"""`agora stack` for real: PostgreSQL and Redis as they run here, HAProxy, Prometheus, an
MLflow server, two workers, two API replicas, the relay and the trainer, all as processes;
once with the online store on one Redis, once on a three-master Redis Cluster."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import key_for, topic_for
from features import kpis as k
from features.inventory import inventory_key
from features.online import open_store
from launch.simulator.traffic import Traffic
from tests.conftest import require_service

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _tools() -> None:
    missing = [t for t in ("haproxy", "prometheus", "redis-server") if not shutil.which(t)]
    if missing:
        reason = f"{', '.join(missing)} not installed (make system-deps installs them)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide them")
        pytest.skip(reason)


def wait(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
            last = exc
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout_s:.0f}s (last: {last!r})")


@pytest.fixture(scope="module", params=["redis", "redis-cluster"])
def stack(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    _tools()
    cluster = ["--redis-cluster"] if request.param == "redis-cluster" else []
    if cluster and not shutil.which("redis-cli"):
        if os.environ.get("CI"):
            pytest.fail("redis-cli is not installed; CI must provide it")
        pytest.skip("redis-cli is not installed (a Redis Cluster needs it)")
    env = {k: v for k, v in os.environ.items()
           if k not in {"AGORA_KAFKA_BOOTSTRAP", "AGORA_REDIS_URL", "AGORA_DATABASE_URL",
                        "AGORA_ADMIN_API_KEY", "AGORA_MLFLOW_TRACKING_URI"}}
    env["AGORA_DATA_DIR"] = str(tmp_path_factory.mktemp("stack"))
    env["AGORA_LAKE_FLUSH_S"] = "3"
    proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "stack", "--rate", "60",
                             "--train-every", "3600", "--train-after-events", "100000000",
                             *cluster],
                            env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    for line in proc.stdout:
        if line.startswith("stack: ready"):
            break
        name, _, value = line.strip().partition(": ")
        lines[name] = value
    else:
        pytest.fail(f"agora stack exited with {proc.wait()} before it was ready: {lines}")
    lines["folder"] = str(Path(lines["logs"]).parent)
    try:
        yield lines
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0 or True  # killed replicas are reported, not fatal
        assert not Path(lines["folder"]).exists()  # nothing left behind
        for name in ("lb", "prometheus", "mlflow"):
            port = int(lines[name].rsplit(":", 1)[1])
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)


def pids(stack: dict[str, str]) -> dict[str, int]:
    text = (Path(stack["folder"]) / "pids").read_text()
    return {name: int(pid) for name, pid in (line.split() for line in text.splitlines())}


def test_the_stack_prints_every_address(stack: dict[str, str]) -> None:
    for name in ("lb", "mlflow", "prometheus", "broker", "admin key", "health data"):
        assert stack[name]
    assert httpx.get(f"{stack['lb']}/healthz", timeout=5).status_code == 200


def test_prometheus_scrapes_every_target_up(stack: dict[str, str]) -> None:
    def all_up() -> list[dict[str, Any]] | None:
        result = httpx.get(f"{stack['prometheus']}/api/v1/query", params={"query": "up"},
                           timeout=5).json()["data"]["result"]
        jobs = Counter(r["metric"]["job"] for r in result)
        # a target is in `up` only once scraped: wait for both workers, not for the first
        expected = {"agora-api": 2, "agora-analytics": 2, "agora-worker": 2, "agora-relay": 1,
                    "agora-trainer": 1, "prometheus": 1}
        ok = all(jobs[job] >= n for job, n in expected.items()) and all(
            r["value"][1] == "1" for r in result)
        return result if ok else None

    result = wait(all_up, 90, "every Prometheus target up")
    assert len([r for r in result if r["metric"]["job"] == "agora-worker"]) == 2
    rules = httpx.get(f"{stack['prometheus']}/api/v1/rules", timeout=5).json()
    assert sum(len(g["rules"]) for g in rules["data"]["groups"]) >= 7  # alerts.yml loaded


def test_the_trainer_promotes_and_every_replica_serves_it(stack: dict[str, str]) -> None:
    key = {"X-API-Key": stack["admin key"]}

    def champion() -> str | None:
        found = httpx.get(f"{stack['mlflow']}/api/2.0/mlflow/registered-models/alias",
                          params={"name": "agora-recommender", "alias": "champion"}, timeout=5)
        return found.json()["model_version"]["version"] if found.status_code == 200 else None

    version = wait(champion, 240, "the trainer promoted a first model")
    for name in ("api-1", "api-2"):
        def serves(base: str = stack[name]) -> bool:
            models = httpx.get(f"{base}/v1/models", headers=key, timeout=5).json()["models"]
            return any(m["alias"] == "champion" and m["version"] == version for m in models)

        wait(serves, 30, f"{name} serves champion version {version}")
    recs = httpx.get(f"{stack['lb']}/v1/users/u1/recommendations", params={"k": 5},
                     headers=key, timeout=5)
    assert recs.status_code == 200 and recs.json()["items"]


def test_a_replica_killed_under_traffic_fails_no_request(stack: dict[str, str]) -> None:
    key = {"X-API-Key": stack["admin key"]}
    codes: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=stack["lb"], headers=key, timeout=10) as client:
            while not stop.is_set():
                try:
                    codes.append(client.get("/v1/trending",
                                            params={"domain": "commerce"}).status_code)
                except httpx.HTTPError:
                    codes.append(-1)

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        time.sleep(2)
        os.kill(pids(stack)["api-1"], signal.SIGKILL)
        time.sleep(4)
    finally:
        stop.set()
        thread.join(30)
    failed = [c for c in codes if c != 200]
    print(f"replica kill: {len(failed)} failed of {len(codes)} requests through HAProxy")
    assert len(codes) > 50 and not failed


def test_a_new_champion_is_followed_by_every_replica_under_traffic(
        stack: dict[str, str]) -> None:
    """A second promotion (a new version made champion) while requests flow through the LB:
    both replicas serve it within seconds and no request fails."""
    key = {"X-API-Key": stack["admin key"]}
    api = f"{stack['mlflow']}/api/2.0/mlflow"
    name = "agora-recommender"
    current = httpx.get(f"{api}/registered-models/alias", params={"name": name,
                        "alias": "champion"}, timeout=5).json()["model_version"]
    codes: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=stack["lb"], headers=key, timeout=10) as client:
            while not stop.is_set():
                try:
                    codes.append(client.get("/v1/users/u1/recommendations",
                                            params={"k": 5}).status_code)
                except httpx.HTTPError:
                    codes.append(-1)

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        time.sleep(1)
        same = {f: current[f] for f in ("source", "run_id", "model_id") if current.get(f)}
        if current["source"].startswith("models:/m-"):  # MLflow 3: a logged model's id
            same.setdefault("model_id", current["source"].removeprefix("models:/"))
        made = httpx.post(f"{api}/model-versions/create", timeout=10,
                          json={"name": name, **same})
        assert made.status_code == 200, made.text
        version = made.json()["model_version"]["version"]
        httpx.post(f"{api}/registered-models/alias", timeout=10, json={
            "name": name, "alias": "champion", "version": version}).raise_for_status()
        for replica in ("api-1", "api-2"):
            if replica not in pids(stack) or not _alive(pids(stack)[replica]):
                continue  # the replica killed by the test above

            def serves(base: str = stack[replica]) -> bool:
                models = httpx.get(f"{base}/v1/models", headers=key, timeout=5).json()
                return any(m["alias"] == "champion" and m["version"] == version
                           for m in models["models"])

            wait(serves, 30, f"{replica} serves the new champion version {version}")
        time.sleep(1)
    finally:
        stop.set()
        thread.join(30)
    failed = [c for c in codes if c != 200]
    print(f"second promotion: {len(failed)} failed of {len(codes)} requests")
    assert version != current["version"] and len(codes) > 20 and not failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ChildProcessError):
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    return True


async def _produce(bootstrap: str, events: list[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic_for(ev), orjson.dumps(ev), key=key_for(ev))
                for ev in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _figures(url: str, products: list[str]) -> tuple[float, float, dict[str, float]]:
    store = open_store(url)
    try:
        totals = await store.get_fields(k.TOTALS_KEY)
        rows = await store.get_many([inventory_key(p) for p in products])
    finally:
        await store.close()
    return (float(totals.get(k.ORDERS, 0)), float(totals.get(k.GMV_CENTS, 0)),
            {p: float(r.get("on_hand", 0)) for p, r in zip(products, rows, strict=True)})


def test_totals_are_exact_after_a_worker_kill(stack: dict[str, str]) -> None:
    """The simulator stopped and the store quiet, orders, GMV and on-hand moved by exactly
    what this test sent to the broker, although worker-1 was SIGKILLed mid-stream."""
    url = stack.get("redis cluster") or stack["redis"].split(" ")[0]
    with contextlib.suppress(ProcessLookupError):
        os.kill(pids(stack)["simulator"], signal.SIGTERM)
    traffic = Traffic(seed=13)
    events = [ev for ev in (traffic.next() for _ in range(30000)) if isinstance(ev, dict)
              and ev["event_type"] in ("order_placed", "inventory_adjusted")][:3000]
    products = sorted({ev["product_id"] for ev in events
                       if ev["event_type"] == "inventory_adjusted"})
    orders = [ev for ev in events if ev["event_type"] == "order_placed"]
    gmv = sum(round(ev["total"] * 100) for ev in orders)
    stock: dict[str, float] = {p: 0.0 for p in products}
    for ev in events:
        if ev["event_type"] == "inventory_adjusted":
            stock[ev["product_id"]] += ev["delta"]

    def quiet() -> tuple[float, float, dict[str, float]] | None:
        first = asyncio.run(_figures(url, products))
        time.sleep(3)
        return first if asyncio.run(_figures(url, products)) == first else None

    before = wait(quiet, 60, "the store quiet once the simulator stopped")
    half = len(events) // 2
    asyncio.run(_produce(stack["broker"], events[:half]))
    time.sleep(1)
    os.kill(pids(stack)["worker-1"], signal.SIGKILL)  # worker-2 takes its partitions
    asyncio.run(_produce(stack["broker"], events[half:]))
    expected = (before[0] + len(orders), before[1] + gmv,
                {p: before[2][p] + stock[p] for p in products})
    wait(lambda: asyncio.run(_figures(url, products)) == expected, 120,
         "orders, GMV and on-hand moved by exactly what was sent")
    time.sleep(3)  # and stay there: nothing redelivered counts twice
    assert asyncio.run(_figures(url, products)) == expected
    assert len(orders) > 100 and products


def test_an_order_through_the_lb_reaches_the_dashboard_with_a_worker_killed(
        stack: dict[str, str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # killed above; alone, killed here
        os.kill(pids(stack)["worker-1"], signal.SIGKILL)  # worker-2 takes its partitions
    key = {"X-API-Key": stack["admin key"]}
    lb = stack["lb"]
    product = {"sku": "stack-hot", "title": "Stack item", "category": "drops",
               "price": {"amount": "10.00", "currency": "USD"}}
    assert httpx.post(f"{lb}/v1/catalog/products", json=product, headers=key,
                      timeout=10).status_code == 201
    assert httpx.post(f"{lb}/v1/inventory/stack-hot/restock", json={"quantity": 5},
                      headers=key, timeout=10).status_code == 200
    before = _pending_published(stack)
    order = httpx.post(f"{lb}/v1/orders", headers=key, timeout=10, json={
        "user_id": "stack-buyer", "currency": "USD",
        "lines": [{"product_id": "stack-hot", "quantity": 2}]})
    assert order.status_code == 201, order.text
    wait(lambda: _pending_published(stack) == 0 and before is not None, 30,
         "the relay published the order's outbox rows")

    def low_on_stock() -> bool:  # 5 restocked, 2 sold: the worker saw the relay's events
        overview = httpx.get(f"{lb}/v1/analytics/overview", headers=key, timeout=5).json()
        return "stack-hot" in str(overview.get("low_stock"))

    wait(low_on_stock, 60, "the dashboard shows the ordered product low on stock")


def _pending_published(stack: dict[str, str]) -> float | None:
    result = httpx.get(f"{stack['prometheus']}/api/v1/query",
                       params={"query": "agora_relay_outbox_pending_messages"},
                       timeout=5).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None
