"""`python -m bench.scale`: training and serving cost vs size, up to 20M interactions and
200k items, on generated traffic (bench/scale_traffic.py: Zipf popularity, heavy-tailed
users, sessions).

Points lie along three axes from a base of 1M interactions, 10k items, 100k users (`POINTS`):
interactions (1M, 5M, 20M) at 10k items and 100k users; items (10k, 50k, 200k) at 1M and,
in the full grid, 5M interactions; users (100k, 1M) at 5M interactions and 10k items; and
the full grid's real catalog, 20M x 200k items x 1M users. Not the cross product: each axis
is enough for an exponent, and 2 shared cores could not afford the rest. At each
point every preset of the model catalog (models/catalog.py) and raw `implicit` ALS (the
baseline, same matrix, same parameters as the `als` preset) is fitted in a child process of
its own: fit seconds (`Recommender.fit`'s `train_seconds`), the child's peak RSS (the kernel's
high-water mark, VmHWM of /proc/self/status read right after the fit: native allocations
of BLAS, implicit and scipy included, which tracemalloc would miss; not ru_maxrss, which a
child inherits from its parent's RSS at fork) and its RSS just before the fit (the data),
then `recommend` p50/p99 for 300 known users in process, the model's own arrays and its saved
artifact. The lake: the point's events written as the worker writes them (features.lake's
layout, one file per date and type per flush) and `build_training_set` timed on it, in a
child too. A model whose estimated cost (models/cost.py, the trainer's guard) is over the
memory or fit-time budget is skipped with the reason, never attempted; a child over the
memory budget or the time limit is killed and recorded as such.

`--points small` (the default: 1M and 5M at 10k items, 1M at 200k; about 20 minutes on two
busy cores) or `full` (adds 50k items, 1M users, 5M at 50k and 200k items, 20M at 10k and
at 200k items x 1M users; a few hours); `--max-interactions` drops the bigger points,
`--resume` keeps what bench/results/scale.json already measured. Run it under `nice -n 10`
on a shared machine. Writes bench/results/scale.json after every point (a long run can be
stopped and still plotted), then docs/img/bench-scale-*.png and the "## Cost curves"
section of docs/benchmarks.md (bench/scale_plot.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from bench.report import RESULTS, machine
from bench.scale_grid import LAKE, POINTS, RAW_ALS, Point, families
from bench.scale_measure import MB, child, disk_bytes, run_child, save_data
from bench.scale_traffic import generate, write_lake

OUT = RESULTS / "scale.json"
LAKE_BYTES_PER_EVENT = 600  # the training-set build's peak: 2.67 GB at 5M events here


def measure(points: list[Point], names: list[str], *, max_rss: int, fit_budget_s: float,
            timeout_s: float, lake: bool, out: Path = OUT,
            earlier: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every point; with `earlier` (a previous result), its measured fits are kept (those of
    families not in `names` too) and only what it lacks or skipped of `names` is run."""
    from models.catalog import build
    from models.cost import Budget, Size

    # the trainer's guard without its linear-only rule: the bench measures every growth
    budget = Budget(memory_bytes=max_rss, fit_seconds=fit_budget_s, linear_above=sys.maxsize)
    result: dict[str, Any] = {
        "points": [], "rss_limit_mb": max_rss / MB, "fit_budget_s": fit_budget_s,
        "timeout_s": timeout_s,
        "memory": "child's VmHWM right after the fit; data_rss_mb: its RSS before the fit"}
    tasks = len(points) * (len(names) + int(lake))
    bar = tqdm(total=tasks, desc="bench.scale", unit="fit")
    for point in points:
        done = _measured(earlier, point)
        todo = [n for n in names if n not in done]
        if not todo and (not lake or LAKE in done):
            prior = next(p for p in (earlier or {})["points"] if _same(p, point))
            _write(result, prior, out)
            bar.update(len(names) + int(lake))
            continue
        with tempfile.TemporaryDirectory(prefix="agora-scale-") as tmp:
            work = Path(tmp)
            t0 = time.perf_counter()
            traffic = generate(events=point.interactions, items=point.items, users=point.users)
            data = traffic.interactions()
            size = Size.of(data)
            save_data(data, traffic, work / "data.npz")
            # the families not asked for this time keep what was measured of them
            kept = next((dict(p["fits"]) for p in (earlier or {}).get("points", [])
                         if _same(p, point)), {})
            row: dict[str, Any] = {**asdict(point), "nnz": size.interactions,
                                   "active_users": size.users, "pairs": size.pairs,
                                   "generate_seconds": time.perf_counter() - t0, "fits": kept}
            del data
            gc.collect()
            for name in names:
                bar.set_postfix_str(f"{point.key} {name}")
                if name in done:
                    row["fits"][name] = done[name]
                    bar.update()
                    continue
                preset = "als" if name == RAW_ALS else name  # the same fit's cost
                why = budget.refusal(preset, size) or _declared_limit(build(preset), size)
                if why is not None:
                    row["fits"][name] = {"skipped": why}
                else:
                    row["fits"][name] = run_child({"family": name, "data": str(work / "data.npz")},
                                                  work=work, max_rss=max_rss,
                                                  timeout_s=timeout_s)
                bar.update()
                _write(result, row, out)
            if lake and LAKE in done:
                row["fits"][LAKE] = done[LAKE]
                bar.update()
            elif lake and LAKE_BYTES_PER_EVENT * point.interactions > max_rss:
                row["fits"][LAKE] = {"skipped": (
                    f"needs ~{LAKE_BYTES_PER_EVENT * point.interactions / (1 << 30):.0f} GB "
                    f"(~{LAKE_BYTES_PER_EVENT} bytes an event at its peak; budget "
                    f"{max_rss / (1 << 30):.0f} GB)")}
                bar.update()
            elif lake:
                bar.set_postfix_str(f"{point.key} lake")
                t0 = time.perf_counter()
                files = write_lake(traffic, work / "lake")
                written = time.perf_counter() - t0
                del traffic
                gc.collect()
                fit = run_child({"family": LAKE, "lake": str(work / "lake")}, work=work,
                                max_rss=max_rss, timeout_s=timeout_s)
                row["fits"][LAKE] = {**fit, "files": files, "write_seconds": written,
                                     "lake_mb": disk_bytes(work / "lake") / MB}
                bar.update()
            _write(result, row, out)
    bar.close()
    return result


def _same(row: dict[str, Any], point: Point) -> bool:
    return all(row[k] == v for k, v in asdict(point).items())


def _measured(earlier: dict[str, Any] | None, point: Point) -> dict[str, Any]:
    """The fits `earlier` measured at `point` (skipped ones are tried again)."""
    rows = [p for p in (earlier or {}).get("points", []) if _same(p, point)]
    return {n: f for n, f in rows[0]["fits"].items() if "skipped" not in f} if rows else {}


def _declared_limit(model: Any, size: Any) -> str | None:
    """A model's own refusal (EASE's `max_items`), so it is not started only to fail."""
    limit = model.params.get("max_items") or model.params.get("cf_params", {}).get("max_items")
    if model.name == "hybrid" and model.params["cf"] == "ease" and limit is None:
        from models.catalog import build

        limit = build("ease").params["max_items"]
    if limit is not None and size.items > limit:
        return f"{size.items} items is above its max_items={limit}"
    return None


def _write(result: dict[str, Any], row: dict[str, Any], out: Path) -> None:
    if not any(r is row for r in result["points"]):
        result["points"].append(row)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**result, "machine": machine()}, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", choices=sorted(POINTS), default="small")
    parser.add_argument("--max-interactions", type=int, default=None)
    parser.add_argument("--families", default="", help="comma-separated; default all")
    parser.add_argument("--max-rss-gb", type=float, default=12.0,
                        help="a child above this RSS is killed; also the models' budget")
    parser.add_argument("--fit-budget", type=float, default=None,
                        help="seconds: a model estimated slower is skipped (small 240, full "
                             "1500)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per child before it is killed (default 3 x budget)")
    parser.add_argument("--no-lake", action="store_true")
    parser.add_argument("--resume", action="store_true",
                        help="keep the fits bench/results/scale.json measured; run the rest")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(json.loads(args.child))
        Path(args.child_out).write_text(json.dumps(result))
        return
    points = [p for p in POINTS[args.points]
              if args.max_interactions is None or p.interactions <= args.max_interactions]
    names = [n for n in args.families.split(",") if n] or families()
    budget = args.fit_budget or (240.0 if args.points == "small" else 1500.0)
    result = measure(points, names, max_rss=int(args.max_rss_gb * (1 << 30)),
                     fit_budget_s=budget, timeout_s=args.timeout or 3 * budget,
                     lake=not args.no_lake,
                     earlier=json.loads(OUT.read_text()) if args.resume and OUT.exists()
                     else None)
    print(f"wrote {OUT}")
    if not args.no_docs:
        from bench.scale_plot import plot, write_section

        plot(result)
        write_section(result)


if __name__ == "__main__":
    main()
