"""`agora demo` as a user runs it: addresses printed, trending live in every domain within
30 s, an outside client's product shows up, a first model trained from the lake serves
recommendations, a post published afterwards gets neighbours by its words, Ctrl-C leaves no
process and no port behind."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from launch.broker import free_port

pytestmark = pytest.mark.e2e


def descendants(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True)
    parents: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        child, parent = (int(x) for x in line.split())
        parents.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


async def produce_view(bootstrap: str, product: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for _ in range(5):
            await producer.send_and_wait("commerce.events", orjson.dumps({
                "event_id": str(uuid.uuid4()), "event_type": "product_viewed",
                "occurred_at": datetime.now(UTC).isoformat(), "user_id": "outsider",
                "product_id": product, "category": "outside", "price": 1.0}))
    finally:
        await producer.stop()


def test_demo_runs_and_stops_cleanly(tmp_path: Path) -> None:
    broker_port, api_port = free_port(), free_port()
    env = {**os.environ, "AGORA_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "launch.cli", "demo", "--broker-port", str(broker_port),
         "--api-port", str(api_port), "--rate", "200", "--train-after", "10"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        assert demo.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("api key") for line in lines):
            line = demo.stdout.readline().decode()
            assert line, f"demo exited early: {lines}"
            lines.append(line.strip())
        assert f"broker: 127.0.0.1:{broker_port}" in lines
        api = f"http://127.0.0.1:{api_port}"
        assert f"api: {api}" in lines

        seen: set[str] = set()
        while seen != {"commerce", "community", "podcast"}:
            assert time.monotonic() - started < 30, f"trending still empty for some of {seen}"
            for domain in ("commerce", "community", "podcast"):
                if httpx.get(f"{api}/v1/trending", params={"domain": domain}).json()["items"]:
                    seen.add(domain)
            time.sleep(0.5)

        product = f"OUT{uuid.uuid4().hex[:6]}"
        asyncio.run(produce_view(f"127.0.0.1:{broker_port}", product))
        deadline = time.monotonic() + 30
        while True:
            items = httpx.get(f"{api}/v1/trending",
                              params={"domain": "commerce", "k": 100, "window": "5m"}).json()
            if any(i["item_id"] == f"product:{product}" for i in items["items"]):
                break
            assert time.monotonic() < deadline, "outside product never trended"
            time.sleep(0.5)

        key = next(line for line in lines if line.startswith("api key")).split()[-1]
        deadline = time.monotonic() + 120
        while True:  # stream -> lake -> agora train --promote -> MLflow -> serving
            body = httpx.get(f"{api}/v1/users/u1/recommendations", params={"k": 5},
                             headers={"X-API-Key": key}).json()
            if body["model"]["version"] is not None:
                break
            assert time.monotonic() < deadline, f"no model in service: {body}"
            time.sleep(1)
        assert body["strategy"] in {"personalised", "cold_start"}
        assert len(body["items"]) == 5

        # a post published after training: neighbours by its words (the hybrid's content part)
        post = f"new{uuid.uuid4().hex[:6]}"
        published = httpx.post(f"{api}/v1/events", headers={"X-API-Key": key}, json={"events": [{
            "event_id": str(uuid.uuid4()), "event_type": "post_created",
            "occurred_at": datetime.now(UTC).isoformat(), "user_id": "u1", "post_id": post,
            "community_id": "c1", "title": "Vintage brewing kettle", "body": "What do you think?",
        }]})
        assert published.status_code == 202, published.text
        deadline = time.monotonic() + 30
        while True:  # API -> broker -> worker writes the post's words -> similar
            similar = httpx.get(f"{api}/v1/items/post:{post}/similar", params={"k": 5},
                                headers={"X-API-Key": key}).json()
            if similar["strategy"] == "content":
                break
            assert time.monotonic() < deadline, f"no content neighbours: {similar}"
            time.sleep(0.5)
        assert similar["items"] and all(i["item_id"] != f"post:{post}" for i in similar["items"])

        children = descendants(demo.pid)
        assert len(children) >= 4
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(60)
    time.sleep(0.5)
    assert not [pid for pid in children if alive(pid)]
    assert not port_in_use(broker_port)
    assert not port_in_use(api_port)
