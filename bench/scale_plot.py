"""`python -m bench.scale_plot`: the cost curves of bench/results/scale.json.

docs/img/bench-scale-interactions.png and bench-scale-items.png (fit seconds and peak RSS,
log-log, one line per model), each model's growth (the least-squares slope of log seconds
and log peak RSS against log size along each axis of the grid) and the "## Cost curves"
section of docs/benchmarks.md (only that section is rewritten).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.models import DOCS
from bench.models import write_section as replace_section
from bench.report import PLOTS, RESULTS
from models.catalog import CATALOG, build
from models.cost import GB, Budget, Size, estimate

HEADING = "## Cost curves"
LAKE = "lake_training_set"
# the axes of the grid: the size that varies and the two held fixed (bench/scale_grid.py POINTS)
AXES: dict[str, tuple[str, dict[str, int]]] = {
    "interactions": ("interactions", {"items": 10_000, "users": 100_000}),
    "items": ("items", {"interactions": 1_000_000, "users": 100_000}),
    "items at 5M": ("items", {"interactions": 5_000_000, "users": 100_000}),
    "users": ("users", {"interactions": 5_000_000, "items": 10_000}),
}
SUPERLINEAR = 1.15  # a time exponent above this in interactions is worse than linear


def series(points: list[dict[str, Any]], axis: str, family: str,
           metric: str) -> list[tuple[float, float]]:
    """(size, value) of `family` along `axis`, measured points only, ordered by size."""
    varying, fixed = AXES[axis]
    out = []
    for p in points:
        if any(p[k] != v for k, v in fixed.items()):
            continue
        fit = p["fits"].get(family, {})
        value = fit.get(metric)
        if isinstance(value, int | float) and value > 0:
            out.append((float(p[varying]), float(value)))
    return sorted(out)


def slope(pairs: list[tuple[float, float]]) -> float | None:
    """Least-squares exponent b of value = a * size ** b; None below two sizes."""
    if len({x for x, _ in pairs}) < 2:
        return None
    xs = [math.log(x) for x, _ in pairs]
    ys = [math.log(y) for _, y in pairs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
            / sum((x - mx) ** 2 for x in xs))


def families(result: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(f for p in result["points"] for f in p["fits"]))


def growth(result: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each family's time and memory exponent along each axis."""
    points = result["points"]
    return {f: {f"{metric} vs {axis}": slope(series(points, axis, f, key))
                for axis in AXES for metric, key in (("time", "fit_seconds"),
                                                     ("memory", "peak_rss_mb"))}
            for f in families(result)}


def plot(result: dict[str, Any], folder: Path = PLOTS) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for name, axes in (("interactions", ("interactions",)), ("items", ("items", "items at 5M"))):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
        for ax in (left, right):  # 11 families: more colours than the default cycle's 10
            ax.set_prop_cycle(color=[plt.get_cmap("tab20")(i) for i in range(0, 20, 2)]
                              + [plt.get_cmap("tab20")(i) for i in range(1, 20, 2)])
        for family in families(result):
            for axis, style in zip(axes, ("-o", "--s"), strict=False):
                for ax, key in ((left, "fit_seconds"), (right, "peak_rss_mb")):
                    pairs = series(result["points"], axis, family, key)
                    if pairs:
                        label = family if axis == axes[0] else f"{family} ({axis})"
                        ax.plot(*zip(*pairs, strict=True), style, label=label, markersize=4)
        fixed = ", ".join(f"{k} {v:,}" for k, v in AXES[axes[0]][1].items())
        for ax, title in ((left, "fit seconds"), (right, "peak RSS of the fit's process (MB)")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(f"{name} ({fixed})")
            ax.set_title(title)
            ax.grid(True, which="both", alpha=0.3)
        left.legend(fontsize=7, ncol=2)
        fig.suptitle(f"bench.scale: cost vs {name} (2 shared cores, nice 10)", fontsize=10)
        fig.tight_layout()
        path = folder / f"bench-scale-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        print(f"wrote {path}")
        written.append(path)
    return written


def _label(p: dict[str, Any]) -> str:
    def short(n: int) -> str:
        return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1_000}k"

    return f"{short(p['interactions'])}x{short(p['items'])}x{short(p['users'])}"


def _table(result: dict[str, Any], cell: Callable[[dict[str, Any]], str],
           names: Iterable[str], notes: dict[str, int]) -> list[str]:
    points = result["points"]
    lines = ["| model | " + " | ".join(_label(p) for p in points) + " |",
             "| --- |" + " --- |" * len(points)]
    for family in names:
        cells = []
        for p in points:
            fit = p["fits"].get(family)
            if fit is None:
                cells.append("")
            elif "skipped" in fit or "error" in fit:
                why = fit.get("skipped") or fit["error"]
                n = notes.setdefault(why, len(notes) + 1)
                cells.append(f"{'skip' if 'skipped' in fit else 'killed'} [{n}]")
            else:
                try:
                    cells.append(cell(fit))
                except (KeyError, TypeError):  # not measured (a first run's memory)
                    cells.append("n/a")
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return lines


def _exp(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def markdown(result: dict[str, Any]) -> str:
    names = [f for f in families(result) if f != LAKE]
    g = growth(result)
    notes: dict[str, int] = {}
    points = result["points"]
    lines = [HEADING, "",
             "`nice -n 10 python -m bench.scale` (`--points small`, the default: 1M and 5M",
             "interactions at 10k items, 1M at 200k items, about 20 minutes; `--points full`",
             "adds 50k items, 1M users, 5M at 50k and 200k items, 20M at 200k items x 1M users",
             "and 20M at 10k items; `--max-interactions N` drops bigger points, `--resume` keeps",
             "what was measured). Generated traffic (bench/scale_traffic.py): Zipf item",
             "popularity (the top 1% of items draw about 40% of the events), log-normal user",
             "activity (at most 400 sessions a user), sessions of 1 to 30 events in one",
             "category; points are named interactions x items x users (interactions are events;",
             "repeats of a pair sum, so the matrix holds about 75% of them). Every model of the",
             "catalog and raw `implicit` ALS (the `als` preset's parameters, same matrix) is",
             "fitted in a child process of its own: fit seconds are `train_seconds`; memory is",
             "the child's RSS high-water mark (VmHWM, read right after the fit: BLAS, implicit",
             "and scipy allocations included, which tracemalloc misses; not ru_maxrss, which a",
             "child inherits from its parent at fork), the loaded matrix included; `recommend`",
             "p50/p99 are 300 calls for known users in process; model MB is the model's own",
             "arrays (without the training matrix). A model whose cost (models/cost.py, the",
             "estimate the trainer's guard uses) is over the memory or fit budget of its run",
             "is skipped, never started (each skip's note names its budget; the last run's:",
             f"{result['rss_limit_mb'] / 1024:.0f} GB and {result['fit_budget_s']:.0f} s). "
             "Most fits ran on a shared machine (2 cores, load 6 to",
             "14 from other engineers' runs), RP3beta and the training sets later on a quiet",
             "one: absolute seconds are pessimistic and noisy (raw implicit ALS against ours",
             "shows it: the same fit, seconds apart); the exponents of the fits above a few",
             "seconds are what to read.",
             *([f"This run: {result['stopped']}."] if "stopped" in result else []), "",
             "Fit seconds:", ""]
    lines += _table(result, lambda f: f"{f['fit_seconds']:.1f}", names, notes)
    lines += ["", "Peak RSS of the fit's process, GB (the data is about "
              + ", ".join(f"{_data_gb(p)}" for p in points) + " GB of it):", ""]
    lines += _table(result, lambda f: f"{f['peak_rss_mb'] / 1024:.2f}", names, notes)
    lines += ["", "`recommend` p50 / p99 ms, in process:", ""]
    lines += _table(result, lambda f: f"{f['recommend_p50_ms']:.2f} / "
                    f"{f['recommend_p99_ms']:.1f}", names, notes)
    lines += ["", "Model MB (own arrays):", ""]
    lines += _table(result, lambda f: f"{f['model_mb']:.0f}", names, notes)
    lines += ["", "Training set from the lake (`models.training_set.build_training_set` on the",
              "point's events written in features.lake's layout, one file per date and type per",
              "flush of 200k events), seconds / peak GB:", ""]
    lines += _table(result, lambda f: f"{f['fit_seconds']:.1f} / "
                    f"{f['peak_rss_mb'] / 1024:.2f}", [LAKE], notes)
    lines += ["", *[f"[{n}] {why}" + "  " for why, n in notes.items()], "",
              "Growth: the fitted exponent b of cost = a x size^b along each axis (the other",
              "two sizes held; blank where fewer than two points were measured):", "",
              "| model | time vs interactions | time vs items | time vs users | "
              "memory vs interactions | memory vs items |",
              "| --- | --- | --- | --- | --- | --- |"]
    for family in [f for f in [*names, LAKE] if f in g]:
        e = g[family]
        items_time = e["time vs items"] if e["time vs items"] is not None else e[
            "time vs items at 5M"]
        lines.append(f"| {family} | {_exp(e['time vs interactions'])} | {_exp(items_time)} | "
                     f"{_exp(e['time vs users'])} | {_exp(e['memory vs interactions'])} | "
                     f"{_exp(e['memory vs items'])} |")
    # a sub-second fit's exponent is its fixed costs and the machine's noise
    worse = [f for f in names if (g[f]["time vs interactions"] or 0) > SUPERLINEAR
             and max((v for _, v in series(points, "interactions", f, "fit_seconds")),
                     default=0.0) >= 5.0]
    machine = Budget.of_machine()
    marked = [f for f in names if f in CATALOG.presets
              and estimate(build(f), Size(users=1, items=1, interactions=1, pairs=1)).superlinear]
    lines += ["", f"Worse than linear in interactions (time exponent above {SUPERLINEAR}): "
              + (", ".join(worse) or "none") + " (popularity's exponent is over sub-second fits:",
              "fixed costs and noise).",
              "", "The trainer's guard (models/cost.py, called by models/trainer.py before it",
              "scores the families) leaves out a family whose estimated fit memory or seconds",
              "at the lake's size is over its budget (by default half this machine's memory,",
              f"{machine.memory_bytes / GB:.0f} GB, and {machine.fit_seconds:.0f} s): EASE, and",
              "the hybrid over it, from about "
              f"{_ease_limit(machine) // 1000}k items on. Past {machine.linear_above:,}",
              "interactions it also leaves out the families models/cost.py marks as growing",
              "faster than linear in interactions: " + (", ".join(marked) or "none") + ". The",
              "log says which and why (`<family> not considered: ...`), the cycle's result",
              "lists them under `refused`, and the best of the rest is trained.",
              "", "![cost vs interactions](img/bench-scale-interactions.png)",
              "![cost vs items](img/bench-scale-items.png)", ""]
    return "\n".join(lines)


def _ease_limit(budget: Budget) -> int:
    """The fewest items at which EASE is refused under `budget`."""
    low, high = 1, 10_000_000
    while low < high:
        mid = (low + high) // 2
        if budget.refusal("ease", Size(users=1, items=mid, interactions=1, pairs=1)):
            high = mid
        else:
            low = mid + 1
    return low


def _data_gb(p: dict[str, Any]) -> str:
    rss = [f["data_rss_mb"] for f in p["fits"].values() if "data_rss_mb" in f]
    return f"{min(rss) / 1024:.2f}" if rss else "?"


def write_section(result: dict[str, Any], path: Path = DOCS) -> None:
    """Replace (or append) only the `## Cost curves` section of docs/benchmarks.md."""
    replace_section(markdown(result), path, heading=HEADING)


def main() -> None:
    result = json.loads((RESULTS / "scale.json").read_text())
    plot(result)
    write_section(result)


if __name__ == "__main__":
    main()
