"""`python -m bench.lake`: the lake's table format, chosen by measurement.

Three candidates hold the same generated traffic (bench/scale_traffic.py: Zipf items,
heavy-tailed users, sessions; views, cart adds and orders) written flush by flush as the
worker's spool writes it (one table per event date and type per flush):

- `pyarrow`: features.lake as it is (hand-written: a file per partition per flush, renamed in;
  `compact` rewrites a partition as one de-duplicated file sorted by user; reads prune
  folders and push time and user filters into pyarrow's scanner);
- `deltalake` (delta-rs): one Delta table per event type partitioned by date; appends are
  ACID commits; compaction is the same de-duplicating rewrite as an atomic
  `overwrite(predicate=partition)` followed by `vacuum` (Delta's `optimize.compact` merges
  files but keeps duplicates, so it cannot give exactly-once rows alone);
- `duckdb`: the same folder layout, written, compacted (SELECT DISTINCT ON event_id ... COPY)
  and read (read_parquet with hive partitions and a WHERE clause) by DuckDB.

Per candidate: append seconds per flush, files after the appends and after compaction,
compaction seconds, expiry seconds, and read seconds by date (one day, every type), by type
(every order), by user (the most active user; and the ten most active), every type and day,
before and after compaction,
each the median of `--repeat` runs interleaved across candidates (the machine is shared).
`baseline` is the read the lake had before: load the matching partitions whole, then
de-duplicate and filter users in pandas. Then the training set's cost on the result. JSON to
bench/results/lake.json, the plot to docs/img/bench-lake.png, the "## Lake" section of
docs/benchmarks.md (only that section is rewritten).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.lake_candidates import Arrow, Baseline, Candidate, Delta, Duck, Query, disk_bytes
from bench.models import write_section
from bench.report import PLOTS, RESULTS
from bench.scale_traffic import START, flushes, generate
from features.lake import lake_row, typed_table

OUT = RESULTS / "lake.json"
PLOT = PLOTS / "bench-lake.png"


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def queries(traffic: Any, days: int) -> dict[str, Query]:
    from datetime import datetime

    mid = START + timedelta(days=days // 2)
    counts: dict[int, int] = {}
    for u in traffic.user[:200_000].tolist():
        counts[u] = counts.get(u, 0) + 1
    heavy = sorted(counts, key=lambda u: -counts[u])[:10]
    base: Query = {"start": None, "end": None, "last": None, "start_ts": None,
                   "end_ts": None, "users": None, "types": None}

    def window(start: datetime, end: datetime) -> Query:
        return {"start": start.isoformat(), "end": end.isoformat(),
                "last": (end - timedelta(microseconds=1)).date().isoformat(),
                "start_ts": start, "end_ts": end}
    return {
        "date": base | window(mid, mid + timedelta(days=1)),
        "type": base | {"types": ["order_placed"]},
        "user": base | {"users": [f"u{heavy[0]}"]},
        "users": base | {"users": [f"u{u}" for u in heavy]},
    }


def conversion_rate(n: int = 50_000) -> float:
    """Spool rows → typed Arrow table, events per second (every candidate pays it)."""
    rows = [lake_row({"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
                      "occurred_at": "2026-10-01T10:00:00+00:00", "user_id": f"u{i % 977}",
                      "session_id": f"s{i % 3001}", "product_id": f"p{i % 5000}",
                      "category": f"c{i % 40}", "price": "19.90"}, f"product:p{i % 5000}")
            for i in range(n)]
    seconds, _ = _timed(lambda: typed_table("product_viewed", rows))
    return n / seconds


def training_child(lake: Path) -> dict[str, float]:
    """In a fresh process: build the training set from the lake (its seconds and peak RSS)."""
    from models.training_set import TrainingSetSpec, build_training_set

    t0 = time.perf_counter()
    built = build_training_set(lake_path=lake, spec=TrainingSetSpec())
    seconds = time.perf_counter() - t0
    status = Path("/proc/self/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines()
               if line.startswith("VmHWM:"))
    return {"seconds": seconds, "peak_rss_mb": hwm / 1024, "rows": float(len(built.events))}


def training_cost(lake: Path) -> dict[str, float]:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "bench.lake", "--training-child", str(lake)],
                         check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def run(*, events: int, flush_events: int, repeat: int, work: Path) -> dict[str, Any]:
    traffic = generate(events=events, items=50_000, users=200_000)
    days = int(traffic.seconds.max() // 86_400) + 1
    last_day = (START + timedelta(days=days - 1)).date().isoformat()
    cands: list[Candidate] = [Arrow(work / "pyarrow"), Delta(work / "delta"),
                              Duck(work / "duckdb")]
    out: dict[str, Any] = {c.name: {"append_s": 0.0, "flushes": 0} for c in cands}
    print(f"{events:,} events over {days} days, flushes of {flush_events:,}")
    for i, parts in enumerate(flushes(traffic, flush_events=flush_events)):
        for c in cands[i % 3:] + cands[:i % 3]:  # interleaved: each goes first in turn
            seconds, _ = _timed(c.append, parts)
            out[c.name]["append_s"] += seconds
            out[c.name]["flushes"] += 1
    for c in cands:
        r = out[c.name]
        r["append_ms_per_flush"] = 1e3 * r["append_s"] / r["flushes"]
        r["append_events_per_s"] = events / r["append_s"]
        r["files_appended"] = c.files()
        r["bytes_appended"] = disk_bytes(c.root)
    qs = queries(traffic, days)
    readers: list[Candidate] = [Baseline(work / "pyarrow"), *cands]
    out["baseline"] = {}
    for phase in ("before", "after"):
        if phase == "after":
            for c in cands:
                seconds, _ = _timed(c.compact)
                out[c.name]["compact_s"] = seconds
                out[c.name]["files_compacted"] = c.files()
                out[c.name]["bytes_compacted"] = disk_bytes(c.root)
        for name, q in qs.items():
            q = q | {"compacted": phase == "after"}
            times: dict[str, list[float]] = {c.name: [] for c in readers}
            rows: dict[str, int] = {}
            for _ in range(repeat):
                for c in readers:
                    seconds, rows[c.name] = _timed(c.read, q)
                    times[c.name].append(seconds)
            if len(set(rows.values())) != 1:
                raise AssertionError(f"{name} {phase}: candidates disagree: {rows}")
            for c in readers:
                out[c.name][f"read_{name}_{phase}_s"] = statistics.median(times[c.name])
            out.setdefault("rows", {})[name] = rows["pyarrow"]
            print(f"  read {name} {phase}: " + ", ".join(
                f"{c.name} {statistics.median(times[c.name]):.3f}s" for c in readers))
    before = (START + timedelta(days=days // 3)).date().isoformat()
    for c in cands:
        seconds, _ = _timed(c.expire, before, last_day)
        out[c.name]["expire_s"] = seconds
    out["conversion_events_per_s"] = conversion_rate()
    training = training_cost(cands[0].root)  # the expired, compacted pyarrow lake
    out["training_set"] = training | {
        "us_per_event": 1e6 * training["seconds"] / training["rows"]}
    print(f"  training set: {training['rows']:,.0f} rows in {training['seconds']:.1f} s, "
          f"peak RSS {training['peak_rss_mb']:,.0f} MB")
    out["events"], out["flush_events"], out["days"], out["repeat"] = (
        events, flush_events, days, repeat)
    return out


COLORS = {"baseline": "tab:gray", "pyarrow": "tab:blue", "deltalake": "tab:orange",
          "duckdb": "tab:green"}


def plot(result: dict[str, Any], path: Path = PLOT) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["pyarrow", "deltalake", "duckdb"]
    metrics = [("append_ms_per_flush", "append / flush (ms)", 1e0),
               ("compact_s", "compaction (s)", 1e0)]
    reads = [f"read_{q}_{p}_s" for p in ("before", "after")
             for q in ("date", "type", "user", "users")]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 2.4]})
    width = 0.25
    for i, name in enumerate(names):
        axes[0].bar([j + i * width for j in range(len(metrics))],
                    [result[name][m] for m, _, _ in metrics], width, label=name,
                    color=COLORS[name])
    axes[0].set_xticks([j + width for j in range(len(metrics))], [t for _, t, _ in metrics])
    axes[0].set_yscale("log")
    axes[0].legend()
    axes[0].set_title("writing and compacting")
    width = 0.2
    for i, name in enumerate(["baseline", *names]):
        axes[1].bar([j + i * width for j in range(len(reads))],
                    [result[name][r] for r in reads], width, label=name, color=COLORS[name])
    axes[1].set_xticks([j + 1.5 * width for j in range(len(reads))],
                       [r[5:-2].replace("_", "\n") for r in reads])
    axes[1].set_yscale("log")
    axes[1].set_ylabel("seconds (median)")
    axes[1].legend()
    axes[1].set_title(f"reads, {result['events']:,} events (shared 2-core machine)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


HEADING = "## Lake"
NAMES = ("pyarrow", "deltalake", "duckdb")
QUERIES = {"date": "one day, every type", "type": "every order_placed",
           "user": "the most active user", "users": "the ten most active users"}


def section(r: dict[str, Any]) -> str:
    """The "## Lake" section of docs/benchmarks.md, every figure from `r`."""
    mb = 1 << 20
    pa_, dl, dk = (r[n] for n in NAMES)
    lines = [HEADING, "",
             "`nice -n 10 python -m bench.lake` (bench/lake.py; results in "
             "bench/results/lake.json): "
             f"{r['events']:,} generated events shaped like the shop's traffic "
             "(bench/scale_traffic.py: Zipf items, heavy-tailed users, sessions; 94% views, "
             f"5% cart adds, 1% orders) over {r['days']} days, appended in time order in "
             f"flushes of {r['flush_events']:,} events (one table per date and type per "
             "flush, as the spool writes them), into each candidate: the lake's own "
             "hand-written layout on pyarrow (features/lake), deltalake (delta-rs: a Delta "
             "table per event type, partitioned by date) and DuckDB (the same folder layout, "
             "written, compacted and read by DuckDB). `baseline` is the read the lake had "
             "before this change (load the matching partitions whole, then de-duplicate and "
             "filter users in pandas). Appends interleaved across candidates flush by flush, "
             f"reads the median of {r['repeat']} interleaved runs, on the shared 2-core "
             "machine (other engineers' jobs running): differences under about 1.5x are "
             "noise.", "",
             "| candidate | append ms / flush | events/s | files | MB | compaction s | "
             "files after | MB after | expiry s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for n in NAMES:
        c = r[n]
        lines.append(f"| {n} | {c['append_ms_per_flush']:.1f} | "
                     f"{c['append_events_per_s']:,.0f} | {c['files_appended']} | "
                     f"{c['bytes_appended'] / mb:.1f} | {c['compact_s']:.2f} | "
                     f"{c['files_compacted']} | {c['bytes_compacted'] / mb:.1f} | "
                     f"{c['expire_s']:.2f} |")
    lines += ["", "Reads, seconds before / after compaction (every candidate returned the "
              "same rows; the bench stops if they disagree):", "",
              "| query | rows | baseline | pyarrow | deltalake | duckdb |",
              "| --- | --- | --- | --- | --- | --- |"]
    for q, label in QUERIES.items():
        cells = [f"{r[n][f'read_{q}_before_s']:.3f} / {r[n][f'read_{q}_after_s']:.3f}"
                 for n in ("baseline", *NAMES)]
        lines.append(f"| {label} | {r['rows'][q]:,} | " + " | ".join(cells) + " |")
    t = r["training_set"]
    user_gain = r["baseline"]["read_user_after_s"] / pa_["read_user_after_s"]
    ratio = [dl[f"read_{q}_{p}_s"] / pa_[f"read_{q}_{p}_s"] for q in QUERIES
             for p in ("before", "after")]
    after = [pa_[f"read_{q}_after_s"] / dk[f"read_{q}_after_s"] for q in QUERIES]
    lines += [
        "", f"![lake](img/{PLOT.name})", "",
        f"Spool rows to a typed Arrow table (every candidate pays it): "
        f"{r['conversion_events_per_s']:,.0f} events/s. The training set "
        f"(`build_training_set`) on the pyarrow lake after compaction and expiry: "
        f"{t['rows']:,.0f} interactions in {t['seconds']:.1f} s "
        f"({t['us_per_event']:.1f} µs an event; 50 µs before this change, the Cost curves "
        f"section), peak RSS {t['peak_rss_mb']:,.0f} MB in its own process "
        f"({t['peak_rss_mb'] * mb / t['rows']:,.0f} bytes an interaction: it still reads "
        "every interaction of its window, now only the columns its declarations name).", "",
        "**Decision: the hand-written layout on pyarrow stays, with compaction, retention "
        "and pushed-down reads added; deltalake and DuckDB are not adopted.** Why, from the "
        "figures above:", "",
        f"- deltalake appends cost {dl['append_ms_per_flush'] / pa_['append_ms_per_flush']:.1f}x "
        f"the pyarrow flush ({dl['append_ms_per_flush']:.0f} vs "
        f"{pa_['append_ms_per_flush']:.0f} ms: a commit to the transaction log per flush and "
        f"per type table) and its files take {dl['bytes_appended'] / pa_['bytes_appended']:.2f}x "
        "the bytes. Its `optimize.compact` merges files but keeps duplicate rows, so "
        "exactly-once rows still need the same de-duplicating rewrite (here an atomic "
        "`overwrite` of the partition, then `vacuum`): compaction "
        f"{dl['compact_s']:.1f} s vs {pa_['compact_s']:.1f} s. Its reads (a pyarrow "
        "dataset over the files its log lists) took "
        f"{min(ratio):.1f}x to {max(ratio):.1f}x pyarrow's time across the eight read "
        "figures, with no clear winner on this noisy machine. What it adds, ACID commits "
        "and time travel, the lake does not need: each flush is independent files renamed "
        "in, and readers see a partition either before or after a compaction.",
        f"- DuckDB read every order in {dk['read_type_after_s']:.3f} s "
        f"({dk['read_type_after_s'] / pa_['read_type_after_s']:.2f}x pyarrow's time) and "
        f"ten users in {dk['read_users_after_s']:.2f} s "
        f"({dk['read_users_after_s'] / pa_['read_users_after_s']:.2f}x) after compaction, "
        f"one user before compaction in {dk['read_user_before_s']:.2f} s "
        f"({dk['read_user_before_s'] / pa_['read_user_before_s']:.2f}x): it evaluates the "
        "filter inside its Parquet scan, where pyarrow's scanner decodes whole row groups "
        f"and filters after. It appended at {dk['append_ms_per_flush']:.0f} ms a flush "
        f"and compacted in {dk['compact_s']:.1f} s. It reads the lake's own files as they "
        "are, so whoever wants SQL can point it at them (`read_parquet('lake/event_date=*/"
        "event_type=order_placed/*.parquet', hive_partitioning = true)`, de-duplicating "
        "partitions that are not one `compacted-*` file); read_events stays on pyarrow, "
        "already the worker's dependency, for one engine and the contracts' typed schemas "
        f"(on the compacted lake pyarrow took at most {max(after):.1f}x DuckDB's time, "
        "not worth a second read path and a dependency of the worker).",
        f"- Against the baseline the pushed-down reads are {user_gain:.0f}x faster for one "
        f"user after compaction ({r['baseline']['read_user_after_s']:.2f} vs "
        f"{pa_['read_user_after_s']:.2f} s), filtering batch by batch inside the scanner "
        "rather than after loading the partitions (memory follows the result); compaction "
        f"takes the files from {pa_['files_appended']} to {pa_['files_compacted']} "
        "(one per date and type) and reads of compacted partitions skip de-duplication.",
        "",
        "Not done: compaction holds one date and type partition in memory (fine for tens "
        "of millions of events per partition on this machine; finer partitions would be "
        "needed past that), and the user filter prunes row groups only where a user's rows "
        "fill whole groups (files are sorted by user, 16k rows a group).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lake", description=__doc__)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--flush-events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--training-child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--docs-only", action="store_true",
                        help="redraw the plot and rewrite the section from --out")
    args = parser.parse_args(argv)
    if args.docs_only:
        result = json.loads(args.out.read_text())
        plot(result)
        write_section(section(result), heading=HEADING)
        return 0
    if args.training_child is not None:
        print(json.dumps(training_child(args.training_child)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as tmp:
        result = run(events=args.events, flush_events=args.flush_events, repeat=args.repeat,
                     work=Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    plot(result)
    write_section(section(result), heading=HEADING)
    print(json.dumps({k: v for k, v in result.items() if isinstance(v, dict)}, indent=1,
                     default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
