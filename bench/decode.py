"""`python -m bench.decode`: the stream's decoders on the same events, µs per event.

The simulator's traffic as JSON bytes (what the worker reads from Kafka), decoded and
validated by: orjson alone (no validation: the floor), the pydantic registry
(`contracts.parse_event`), msgspec alone (the structs generated from the schemas,
contracts/structs.py) and the worker's `FastDecoder.parse` (msgspec, the window check, and
pydantic for whatever msgspec does not accept). Each is timed as the best of `ROUNDS` passes
over the same events, interleaved, so a busy machine slows them alike. Also: the share of
events the fast path takes, and the cost of a refused event (its pydantic fallback).
Writes bench/results/decode.json.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

import orjson

from bench.report import write_result
from contracts import parse_event
from contracts.structs import DECODER
from launch.simulator.traffic import Traffic

N_EVENTS = int(os.environ.get("BENCH_DECODE_EVENTS", "50000"))
ROUNDS = 5


def best_us(fn: Callable[[bytes], Any], raws: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in raws:
        fn(raw)
    return (time.perf_counter() - start) / len(raws) * 1e6


def main() -> None:
    traffic = Traffic(seed=1)
    raws = [orjson.dumps(traffic.next()) for _ in range(N_EVENTS)]
    bad = [orjson.dumps({**orjson.loads(r), "user_id": "x" * 200}) for r in raws[:5000]]
    msgspec_only = DECODER._decoder.decode

    def refused(fn: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        def call(raw: bytes) -> None:
            with contextlib.suppress(ValueError):  # EventError: refused, as meant
                fn(raw)
        return call

    runs: dict[str, Callable[[bytes], Any]] = {
        "orjson_loads": orjson.loads, "pydantic": parse_event, "msgspec": msgspec_only,
        "fast_decoder": DECODER.parse}
    best = {name: float("inf") for name in runs}
    for _ in range(ROUNDS):
        for name, fn in runs.items():
            best[name] = min(best[name], best_us(fn, raws))
    bad_us = {"pydantic": min(best_us(refused(parse_event), bad) for _ in range(ROUNDS)),
              "fast_decoder": min(best_us(refused(DECODER.parse), bad) for _ in range(ROUNDS))}
    fast = sum(type(DECODER.parse(r)).__module__ == "contracts.structs" for r in raws)
    write_result("decode", {
        "events": N_EVENTS, "rounds": ROUNDS,
        "us_per_event": {k: round(v, 3) for k, v in best.items()},
        "speedup_fast_decoder_vs_pydantic": round(best["pydantic"] / best["fast_decoder"], 2),
        "fast_path_share": round(fast / len(raws), 4),
        "refused_us_per_event": {k: round(v, 3) for k, v in bad_us.items()},
    })


if __name__ == "__main__":
    main()
