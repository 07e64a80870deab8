"""`python -m bench.diversity`: what diversity and rotation cost in accuracy, on MovieLens 100K.

The project's evaluation split (models.evaluation.protocols.movielens_protocol: stratified
75/25 by item, seed 42, every test rating relevant, seen items removed), the hybrid fitted
once on its train part. For every test user the model's top 30 are reranked by the serving
code itself (serving.recommend.diversity.diversified) to 10, at each diversity, and scored:

- nDCG@10 (binary gain, models.evaluation.metrics);
- intra-list diversity under the model's own similarity (what MMR trades against), and
  under genres (1 - Jaccard of the two films' genre sets, u.item), a yardstick the model
  does not choose;
- genre coverage: distinct genres per list.

Rotation: each user is served twice; the second list is reranked with the first list's items
penalised (diversity 0), and scored by its nDCG@10 and its overlap with the first list.

Writes bench/results/diversity.json, docs/img/bench-diversity.png and the "## Diversity and
rotation" section of docs/benchmarks.md (only that section).
"""

from __future__ import annotations

import argparse
import json
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.models import DATASETS, DOCS, write_section
from bench.report import PLOTS, RESULTS, write_result
from models.catalog import build
from models.datasets.movielens import GENRES
from models.evaluation.harness import to_interactions
from models.evaluation.metrics import ranking_metrics
from models.evaluation.protocols import movielens_protocol
from models.filters import Filters
from serving.recommend.diversity import (
    diversified,
    intra_list_diversity,
    model_similarity,
    pool_size,
)

HEADING = "## Diversity and rotation"
K = 10
DIVERSITY = (0.0, 0.1, 0.3, 0.5, 0.7, 1.0)
ROTATION = (0.0, 0.1, 0.3, 0.5, 1.0)
MODEL = "hybrid"


def genres(path: Path) -> dict[str, frozenset[str]]:
    root = path if path.is_dir() else path.parent
    frame = pd.read_csv(root / "u.item", sep="|", header=None, encoding="latin-1", dtype=str)
    return {str(row[0]): frozenset(g for g, v in zip(GENRES, row[5:5 + len(GENRES)],
                                                     strict=True) if v == "1")
            for row in frame.itertuples(index=False)}


def genre_similarity(items: list[str], by_item: dict[str, frozenset[str]]) -> np.ndarray:
    sets = [by_item.get(i, frozenset()) for i in items]
    n = len(items)
    sim = np.zeros((n, n))
    for a in range(n):
        for b in range(a + 1, n):
            union = sets[a] | sets[b]
            sim[a, b] = sim[b, a] = len(sets[a] & sets[b]) / len(union) if union else 0.0
    return sim


def run(path: Path, *, users: int | None = None) -> dict[str, Any]:
    protocol = movielens_protocol(path)
    by_genre = genres(path)
    started = time.perf_counter()
    model = build(MODEL).fit(to_interactions(protocol.train, protocol.side))
    fit_s = time.perf_counter() - started
    test = protocol.test.astype({"user_id": str, "item_id": str})
    relevant = {str(u): set(i) for u, i in test.groupby("user_id")["item_id"]}
    known = [u for u in relevant if model.user_row(u) is not None][:users]
    pool = pool_size(K, diversity=0.5, rotation=0.0)
    lists: dict[float, dict[str, list[str]]] = {d: {} for d in DIVERSITY}
    ild: dict[float, list[float]] = {d: [] for d in DIVERSITY}
    ild_genre: dict[float, list[float]] = {d: [] for d in DIVERSITY}
    coverage: dict[float, list[int]] = {d: [] for d in DIVERSITY}
    second: dict[float, dict[str, list[str]]] = {r: {} for r in ROTATION}
    overlap: dict[float, list[float]] = {r: [] for r in ROTATION}
    rerank_s = 0.0
    for user in known:
        candidates = model.recommend(user, pool, Filters())
        ids = [s.item_id for s in candidates]
        at = {item: n for n, item in enumerate(ids)}
        sim = model_similarity(model, ids)
        gsim = genre_similarity(ids, by_genre)
        for d in DIVERSITY:
            t0 = time.perf_counter()
            top = [s.item_id for s in diversified(model, candidates, K, diversity=d)]
            rerank_s += time.perf_counter() - t0
            lists[d][user] = top
            positions = [at[i] for i in top]
            ild[d].append(intra_list_diversity(sim, positions))
            ild_genre[d].append(intra_list_diversity(gsim, positions))
            coverage[d].append(len(set().union(*(by_genre.get(i, frozenset()) for i in top))))
        first = frozenset(lists[0.0][user])
        for r in ROTATION:
            again = [s.item_id for s in diversified(model, candidates, K, diversity=0.0,
                                                    rotation=r, served=first)]
            second[r][user] = again
            overlap[r].append(len(first & set(again)) / K)
    rows = [{"diversity": d, "ndcg@10": ranking_metrics(lists[d], relevant, k=K)["ndcg@10"],
             "ild_model": float(np.mean(ild[d])), "ild_genre": float(np.mean(ild_genre[d])),
             "genres_per_list": float(np.mean(coverage[d]))} for d in DIVERSITY]
    rotation = [{"rotation": r,
                 "ndcg@10_second": ranking_metrics(second[r], relevant, k=K)["ndcg@10"],
                 "overlap_with_first": float(np.mean(overlap[r]))} for r in ROTATION]
    return {"dataset": protocol.dataset, "split": protocol.name, "model": MODEL, "k": K,
            "pool": pool, "users": len(known), "fit_s": fit_s,
            "rerank_ms_per_list": 1000 * rerank_s / max(1, len(known) * len(DIVERSITY)),
            "diversity": rows, "rotation": rotation}


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["diversity"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for key, label, marker in (("ild_model", "ILD, model similarity", "o"),
                               ("ild_genre", "ILD, genres", "s")):
        xs = [r[key] for r in rows]
        ys = [r["ndcg@10"] for r in rows]
        ax.plot(xs, ys, marker=marker, label=label)
        for r, x, y in zip(rows, xs, ys, strict=True):
            ax.annotate(f"{r['diversity']:g}", (x, y), textcoords="offset points",
                        xytext=(4, 4), fontsize=8)
    ax.set_xlabel("intra-list diversity of the top 10")
    ax.set_ylabel("nDCG@10")
    ax.set_title(f"MovieLens 100K, {report['model']}: diversity against accuracy")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def section(report: dict[str, Any]) -> str:
    lines = [
        HEADING, "",
        "`python -m bench.diversity` (`--movielens PATH`, default "
        "`../shared/datasets/ml-100k`): the project's MovieLens 100K split "
        f"({report['split']}), the {report['model']} fitted once ({report['fit_s']:.1f} s), "
        f"each of {report['users']} test users' top {report['pool']} reranked to "
        f"{report['k']} by the serving code (`serving/recommend/diversity.py`, "
        f"{report['rerank_ms_per_list']:.2f} ms a list with the model's similarity). "
        "ILD is 1 - the mean pairwise similarity of a list, under the model's own similarity "
        "and under genres (1 - Jaccard of genre sets), which the model does not choose.", "",
        "![diversity against accuracy](img/bench-diversity.png)", "",
        "| diversity | nDCG@10 | ILD (model) | ILD (genres) | genres per list |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {r['diversity']:g} | {r['ndcg@10']:.4f} | {r['ild_model']:.3f} | "
              f"{r['ild_genre']:.3f} | {r['genres_per_list']:.2f} |"
              for r in report["diversity"]]
    by = {r["diversity"]: r for r in report["diversity"]}
    base = by[0.0]
    lines += ["", "Against diversity 0: " + "; ".join(
        f"{d:g} changes nDCG@10 by {100 * (by[d]['ndcg@10'] / base['ndcg@10'] - 1):+.1f}% "
        f"and model ILD by {by[d]['ild_model'] - base['ild_model']:+.3f}"
        for d in (0.1, 0.3, 0.5, 0.7) if d in by) + "."]
    lines += ["", "Rotation: the same users served a second time with the first list's items "
              "penalised (`rotation`, diversity 0). 0 repeats the first list; 1 or more "
              "serves only items not shown before while there are enough.", "",
              "| rotation | nDCG@10 of the second list | overlap with the first |",
              "| ---: | ---: | ---: |"]
    lines += [f"| {r['rotation']:g} | {r['ndcg@10_second']:.4f} | "
              f"{r['overlap_with_first']:.2f} |" for r in report["rotation"]]
    return "\n".join(line if line.startswith(("|", "!", "#")) else textwrap.fill(line, 95)
                     for line in lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movielens", default=str(DATASETS / "ml-100k"))
    parser.add_argument("--users", type=int, default=None, help="only the first N test users")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--from-results", action="store_true",
                        help="redraw and rewrite from bench/results/diversity.json")
    args = parser.parse_args()
    if args.from_results:
        report = json.loads((RESULTS / "diversity.json").read_text())
    else:
        report = run(Path(args.movielens), users=args.users)
        write_result("diversity", report)
    plot(report, PLOTS / "bench-diversity.png")
    print(section(report))
    if not args.no_docs:
        write_section(section(report), DOCS, heading=HEADING)


if __name__ == "__main__":
    main()
