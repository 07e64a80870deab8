"""Shared by every benchmark: write the JSON result with the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
PLOTS = Path(__file__).parent.parent / "docs" / "img"


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**result, "machine": machine()}, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {path}")
    return path


def serving_plot(runs: dict[str, dict[str, dict[str, Any]]], path: Path | None = None) -> Path:
    """Throughput and latency of each endpoint at each concurrency, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = path or PLOTS / "bench-serving.png"
    endpoints = list(runs)
    levels = sorted({c for r in runs.values() for c in r}, key=int)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    width = 0.8 / len(levels)
    for n, level in enumerate(levels):
        xs = [i + n * width for i in range(len(endpoints))]
        left.bar(xs, [runs[e][level]["rps"] for e in endpoints], width,
                 label=f"{level} connections")
        for q, hatch in (("p50_s", ""), ("p99_s", "//")):
            right.bar([x + (0 if q == "p50_s" else width / 2) for x in xs],
                      [runs[e][level][q] * 1000 for e in endpoints], width / 2, hatch=hatch,
                      label=f"{q.removesuffix('_s')}, {level} connections")
    for ax, title in ((left, "requests per second"), (right, "latency (ms, log scale)")):
        ax.set_xticks([i + width * (len(levels) - 1) / 2 for i in range(len(endpoints))],
                      endpoints)
        ax.set_title(title)
    right.set_yscale("log")
    right.axhline(25, color="grey", linestyle=":", label="p99 target at 32 (25 ms)")
    left.legend(fontsize=8)
    right.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
    return path
