"""`python -m bench.key_escape`: what escaping ids in store keys costs the agents per event.

Runs the simulator's traffic through the contexts' pure logic (no broker, no store) in
batches of 5,000, counts the id escapes (`features.keys.escape`) it makes, and times them on
the same ids. Writes bench/results/key_escape.json.
"""

from __future__ import annotations

import timeit
from collections import defaultdict
from typing import Any

import features.keys as keys
from agents.activity.logic import activity_writes
from agents.app import contexts
from agents.trending.logic import interactions, trending_writes
from agora.settings import WorkerSettings
from bench.report import write_result
from contracts import parse_event, topic_for
from features.online import WriteBatch
from launch.simulator.traffic import Traffic

N_EVENTS = 60_000
BATCH = 5_000


def main() -> None:
    by_topic: dict[str, list[Any]] = defaultdict(list)
    traffic = Traffic(seed=1)
    for _ in range(N_EVENTS):
        ev = traffic.next()
        assert isinstance(ev, dict)
        by_topic[topic_for(ev)].append(parse_event(ev))
    seen: list[str] = []
    escape = keys.escape

    def counting(segment: str) -> str:
        seen.append(segment)
        return escape(segment)

    keys.escape = counting  # `tag` looks it up at each call
    try:
        by_context = contexts(WorkerSettings())
        for topic, events in by_topic.items():
            ctx = by_context[topic]
            for i in range(0, len(events), BATCH):
                chunk = events[i:i + BATCH]
                batch = WriteBatch()
                activity_writes(chunk, domain=ctx.name, batch=batch)
                ctx.writes(chunk, batch)
                trending_writes(interactions(chunk), half_life_s=3600.0)
    finally:
        keys.escape = escape
    sample = seen[:20_000]
    per_call = min(timeit.repeat(lambda: [escape(s) for s in sample], number=5,
                                 repeat=5)) / (5 * len(sample))
    per_event = len(seen) / N_EVENTS
    write_result("key_escape", {
        "events": N_EVENTS, "escapes_per_event": round(per_event, 3),
        "ns_per_escape": round(per_call * 1e9, 1),
        "us_per_event": round(per_event * per_call * 1e6, 4)})


if __name__ == "__main__":
    main()
