"""`python -m bench.core_plot`: docs/img/bench-core.png from bench/results/core-before.json
and the runs given (bench/results/core.json by default): CPU milliseconds per order of every
process, before and after, with each run's orders per second and bare inserts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(__file__).parent / "results"
OUT = Path(__file__).parent.parent / "docs" / "img" / "bench-core.png"
PARTS = (("api", "API (agora serve)"), ("postgres_api_relay", "PostgreSQL backends"),
         ("relay", "relay"), ("broker", "broker"), ("client", "load clients"),
         ("bench_consumer_sampler", "Kafka consumer + sampler"))


def main() -> None:
    paths = [RESULTS / "core-before.json",
             *(Path(p) for p in sys.argv[1:] or [str(RESULTS / "core.json")])]
    runs = [json.loads(p.read_text()) for p in paths]
    labels = ["before"] + [f"after {i}" if len(runs) > 2 else "after"
                           for i in range(1, len(runs))]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottoms = [0.0] * len(runs)
    for key, name in PARTS:
        values = [r["cpu_ms_per_order"].get(key, 0.0) for r in runs]
        ax.bar(labels, values, bottom=bottoms, label=name)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for i, r in enumerate(runs):
        ax.annotate(f"{r['orders_per_s']:.0f} orders/s\np99 {r['order_p99_ms']:.0f} ms\n"
                    f"bare {r['bare_inserts_per_s']:.0f}/s",
                    (i, bottoms[i]), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("CPU ms per order (32 clients)")
    ax.set_ylim(0, max(bottoms) * 1.35)
    ax.set_title("bench-core: where an order's CPU goes (2 shared cores)")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(OUT)


if __name__ == "__main__":
    main()
