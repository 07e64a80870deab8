"""A small HTTP/1.1 keep-alive load generator (asyncio + uvloop), run as its own process.

`python -m bench.loadgen --url http://127.0.0.1:P --paths-file F --connections 32
--duration 10` prints one JSON line: requests, errors, rps, p50_s, p99_s. Each connection
sends one request at a time and times it from write to the end of the body; a request whose
body is cut, or whose status is not 2xx, counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from urllib.parse import urlsplit

import numpy as np


async def _one_connection(host: str, port: int, paths: list[str], offset: int,
                          until: float, warm_until: float, out: list[float],
                          errors: list[int], api_key: str) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    cycle = itertools.islice(itertools.cycle(paths), offset, None)
    try:
        while time.perf_counter() < until:
            path = next(cycle)
            request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                       f"X-API-Key: {api_key}\r\n\r\n").encode()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            finished = time.perf_counter()
            if started >= warm_until:
                out.append(finished - started)
                if not 200 <= status < 300:
                    errors.append(status)
    finally:
        writer.close()


async def run(url: str, paths: list[str], connections: int, duration: float,
              warmup: float, api_key: str) -> dict[str, float | None]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    start = time.perf_counter()
    warm_until, until = start + warmup, start + warmup + duration
    latencies: list[float] = []
    errors: list[int] = []
    await asyncio.gather(*(
        _one_connection(host, port, paths, (i * 7919) % len(paths), until, warm_until,
                        latencies, errors, api_key) for i in range(connections)))
    lat = np.asarray(latencies)
    return {"connections": connections, "duration_s": duration, "requests": len(lat),
            "errors": len(errors), "rps": round(len(lat) / duration, 1),
            "p50_s": round(float(np.percentile(lat, 50)), 6) if len(lat) else None,
            "p99_s": round(float(np.percentile(lat, 99)), 6) if len(lat) else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--paths-file", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--api-key", default="")
    args = parser.parse_args()
    with open(args.paths_file) as f:
        paths = [line.strip() for line in f if line.strip()]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(run(args.url, paths, args.connections, args.duration, args.warmup,
                             args.api_key))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
