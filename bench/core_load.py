"""The order benchmark's clients, in their own process so they do not share a GIL (or much
CPU) with what they measure.

`python -m bench.core_load --url http://127.0.0.1:P --key K --tag T --orders N --clients C
--products P [--prefix b] [--burst]` prints one JSON line: statuses, latencies (p50, p99,
max), the wall time from first request to last answer, and the process's own CPU seconds.
Each client keeps one HTTP/1.1 keep-alive connection and sends one `POST /v1/orders` at a time
(its own Idempotency-Key), timing it from write to the end of the body. `--burst` opens every
connection first and releases all requests at once (the flash sale: one order per client).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import time
from collections import Counter
from urllib.parse import urlsplit

import numpy as np
import uvloop


def _request(host: str, key: str, idem: str, body: bytes) -> bytes:
    return (f"POST /v1/orders HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {key}\r\n"
            f"Idempotency-Key: {idem}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return int(head[9:12])


async def run(*, url: str, key: str, tag: str, orders: int, clients: int, products: int,
              prefix: str, burst: bool) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    rng = random.Random(7)
    todo = list(range(orders))
    todo.reverse()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    connections = [await asyncio.open_connection(host, port) for _ in range(clients)]
    go = asyncio.Event()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await go.wait()
        while todo:
            i = todo.pop()
            body = json.dumps({
                "user_id": f"{tag}-u{i % 500}", "currency": "USD",
                "lines": [{"product_id": f"{prefix}{rng.randrange(products)}",
                           "quantity": 1}]}).encode()
            t0 = time.perf_counter()
            status = await _exchange(reader, writer, _request(host, key, f"{tag}-{i}", body))
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1
            if burst:
                return

    tasks = [asyncio.create_task(client(r, w)) for r, w in connections]
    await asyncio.sleep(0.2 if burst else 0)  # every client waiting on `go`
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started_at = time.time()
    started = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    for _, writer in connections:
        writer.close()
    lat = np.asarray(latencies) * 1000
    return {
        "started_at": started_at, "requests": len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "wall_s": round(wall, 3), "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1), "max_ms": round(float(lat.max()), 1),
        "cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--orders", type=int, required=True)
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--products", type=int, required=True)
    p.add_argument("--prefix", default="b")
    p.add_argument("--burst", action="store_true")
    a = p.parse_args()
    result = uvloop.run(run(url=a.url, key=a.key, tag=a.tag, orders=a.orders, clients=a.clients,
                            products=a.products, prefix=a.prefix, burst=a.burst))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
