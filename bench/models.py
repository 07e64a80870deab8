"""`make bench-models`: quality and training time of every model, and ALS overhead.

On MovieLens 100K (the Microsoft Recommenders protocol) and on the UCI Online Retail file
(last 30 days as test), each model is tuned on a validation split of train, refitted on
train and scored on test (the same code as `agora evaluate`). Beside it: our ALS against
a raw `implicit` ALS fit on the very same matrix with the same parameters, in the same run.
Writes bench/results/models.json and the "## Models" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from bench.report import write_result
from models.catalog import build
from models.evaluation.harness import to_interactions
from models.evaluation.protocols import (
    Protocol,
    movielens_protocol,
    online_retail_protocol,
    run,
)

DATASETS = Path(os.environ.get("AGORA_DATASETS", "../shared/datasets"))
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADING = "## Models"


def als_overhead(protocol: Protocol, repeats: int = 3) -> dict[str, Any]:
    """Median seconds: our ALS (matrix handed over, factors read back) vs raw implicit."""
    data = to_interactions(protocol.train, protocol.side)
    model = build("als")
    params = model.params
    ours, raw = [], []
    for _ in range(repeats):
        ours.append(build("als").fit(data).train_seconds)
        matrix = data.matrix.astype("float32").tocsr()
        with threadpool_limits(limits=1, user_api="blas"):
            als = AlternatingLeastSquares(
                factors=params["factors"], regularization=params["regularization"],
                alpha=params["alpha"], iterations=params["iterations"],
                random_state=params["seed"], num_threads=params["threads"])
            start = time.perf_counter()
            als.fit(matrix, show_progress=False)
            raw.append(time.perf_counter() - start)
    return {"als_seconds": statistics.median(ours),
            "raw_implicit_als_seconds": statistics.median(raw),
            "als_matrix": f"{data.shape[0]} users x {data.shape[1]} items, {data.nnz} nnz"}


def markdown(result: dict[str, Any]) -> str:
    lines = [HEADING, "",
             "`make bench-models` (`python -m bench.models`): every model tuned on a validation",
             "split carved from train (never the test), refitted on train, scored on test; the",
             "same code as `agora evaluate --dataset ... --json`. `train_seconds` is the final",
             "fit only. MovieLens 100K uses the Microsoft Recommenders protocol",
             "(`python_stratified_split(ratio=0.75, filter_by='item', seed=42)`, binary-gain",
             "nDCG, seen items removed); published best: BiVAE nDCG@10 0.475 / P@10 0.412,",
             "most-popular 0.253 / 0.225. Online Retail: the last 30 days of the file as test,",
             "customers seen in training, repeat purchases count.", ""]
    for dataset, report in result["datasets"].items():
        lines += [f"### {dataset}", "",
                  "| model | nDCG@10 | P@10 | recall@10 | MAP@10 | coverage | train s |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, m in report["models"].items():
            lines.append(f"| {name} | {m['ndcg@10']:.4f} | {m['precision@10']:.4f} | "
                         f"{m['recall@10']:.4f} | {m['map@10']:.4f} | {m['coverage']:.3f} | "
                         f"{m['train_seconds']:.3f} |")
        lines.append("")
    ratio = result["als_seconds"] / max(result["raw_implicit_als_seconds"], 1e-9)
    lines += ["ALS overhead, same matrix, same run (" + result["als_matrix"] + "), median of 3:",
              "", "| measure | seconds |", "| --- | --- |",
              f"| `als_seconds` (models.factorization.ALSRecommender) | "
              f"{result['als_seconds']:.3f} |",
              f"| `raw_implicit_als_seconds` | {result['raw_implicit_als_seconds']:.3f} |",
              f"| ratio (target ≤ 1.2) | {ratio:.2f} |", ""]
    return "\n".join(lines)


def write_section(text: str, path: Path = DOCS, *, heading: str = HEADING) -> None:
    """Replace (or append) only the `heading` section (`## Models` by default); other
    sections stay untouched."""
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = current.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        updated = "\n".join([*lines[:start], *text.rstrip("\n").splitlines(), "",
                             *lines[end:]])
    path.write_text(updated.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movielens", default=str(DATASETS / "ml-100k"))
    parser.add_argument("--retail", default=str(
        DATASETS / "uci-online-retail" / "online_retail_2010-12_to_2011-09.csv.gz"))
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    protocols = {"movielens-100k": movielens_protocol(args.movielens),
                 "online-retail": online_retail_protocol(args.retail)}
    reports = {name: run(p) for name, p in protocols.items()}
    result: dict[str, Any] = {
        "datasets": reports,
        "train_seconds": {name: {m: v["train_seconds"] for m, v in r["models"].items()}
                          for name, r in reports.items()},
        **als_overhead(protocols["online-retail"]),
    }
    write_result("models", result)
    if not args.no_docs:
        write_section(markdown(result))


if __name__ == "__main__":
    main()
