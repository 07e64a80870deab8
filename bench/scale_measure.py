"""One fit, or the lake's training-set build, measured in a child process of its own
(bench.scale): the parent starts `python -m bench.scale --child` and kills it above the RSS
or time limit; the child reads its own peak (VmHWM) and times `recommend`.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from bench.scale_grid import LAKE, RAW_ALS
from bench.scale_traffic import Traffic

RECOMMEND_CALLS = 300
MB = 1 << 20


# --- the parent: one child per (point, family), RSS watched -----------------------------
def run_child(task: dict[str, Any], *, work: Path, max_rss: int, timeout_s: float
              ) -> dict[str, Any]:
    """`task` in a fresh interpreter; killed above `max_rss` bytes or `timeout_s`."""
    out = work / "child.json"
    out.unlink(missing_ok=True)
    log = (work / "child.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "bench.scale", "--child", json.dumps(task),
                             "--child-out", str(out)], stdout=log, stderr=subprocess.STDOUT,
                            cwd=Path(__file__).resolve().parent.parent)
    started, killed, polled = time.monotonic(), "", 0
    while True:
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = _rss(proc.pid)
        polled = max(polled, rss)
        if rss > max_rss:
            killed = f"killed at {rss / MB:.0f} MB RSS (limit {max_rss / MB:.0f} MB)"
        elif time.monotonic() - started > timeout_s:
            killed = f"killed after {timeout_s:.0f} s (time limit)"
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
            pid, status, _ = os.wait4(proc.pid, 0)
            break
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    if killed or not out.exists():
        tail = (work / "child.log").read_text()[-600:]
        return {"error": killed or f"exit {proc.returncode}: {tail}",
                "polled_peak_rss_mb": polled / MB, "wall_seconds": time.monotonic() - started}
    result: dict[str, Any] = json.loads(out.read_text())
    # the fit's own peak is known only when it raised the high-water mark of the load
    raised = result["peak_rss_mb"] > result["load_peak_mb"] + 1.0
    result["fit_peak_over_data_mb"] = (result["peak_rss_mb"] - result["data_rss_mb"]
                                       if raised else None)
    return result


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def save_data(data: Any, traffic: Traffic, path: Path) -> None:
    m = data.matrix
    np.savez(path, data=m.data, indices=m.indices, indptr=m.indptr, shape=np.asarray(m.shape),
             users=np.asarray([int(u[1:]) for u in data.user_ids], dtype=np.int64),
             category=traffic.category)


# --- the child: one fit, one model ----------------------------------------------------------
def child(task: dict[str, Any]) -> dict[str, Any]:
    if task["family"] == LAKE:
        return _lake_child(Path(task["lake"]))
    data = _load_data(Path(task["data"]))
    gc.collect()
    before = {"data_rss_mb": _rss(os.getpid()) / MB, "load_peak_mb": _hwm_mb()}
    if task["family"] == RAW_ALS:
        return {**before, **_raw_als(data)}
    from models.catalog import build

    model = build(task["family"]).fit(data)
    before["peak_rss_mb"] = _hwm_mb()
    rng = np.random.default_rng(3)
    users = data.user_ids[rng.integers(0, len(data.user_ids), RECOMMEND_CALLS)].tolist()
    latencies = []
    for user in users:
        t0 = time.perf_counter()
        model.recommend(user, k=10)
        latencies.append(time.perf_counter() - t0)
    with tempfile.TemporaryDirectory(prefix="agora-scale-model-") as tmp:
        folder = model.save(Path(tmp) / "model")
        artifact = disk_bytes(folder)
    matrix_bytes = sum(a.nbytes for a in (data.matrix.data, data.matrix.indices,
                                          data.matrix.indptr))
    return {**before, "fit_seconds": model.train_seconds,
            **_quantiles(latencies), "model_mb": _state_bytes(model) / MB,
            "artifact_mb": artifact / MB,
            "artifact_without_matrix_mb": max(artifact - matrix_bytes, 0) / MB}


def _raw_als(data: Any) -> dict[str, Any]:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from models.catalog import build

    p = build("als").params
    matrix = data.matrix.astype(np.float32).tocsr()
    with threadpool_limits(limits=1, user_api="blas"):
        als = AlternatingLeastSquares(factors=p["factors"], regularization=p["regularization"],
                                      alpha=p["alpha"], iterations=p["iterations"],
                                      random_state=p["seed"], num_threads=p["threads"])
        t0 = time.perf_counter()
        als.fit(matrix, show_progress=False)
        seconds = time.perf_counter() - t0
    peak = _hwm_mb()
    rows = np.random.default_rng(3).integers(0, matrix.shape[0], RECOMMEND_CALLS)
    latencies = []
    for row in rows.tolist():
        t0 = time.perf_counter()
        als.recommend(row, matrix[row], N=10)
        latencies.append(time.perf_counter() - t0)
    return {"fit_seconds": seconds, "peak_rss_mb": peak, **_quantiles(latencies),
            "model_mb": (als.user_factors.nbytes + als.item_factors.nbytes) / MB}


def _lake_child(lake: Path) -> dict[str, Any]:
    from models.training_set import TrainingSetSpec, build_training_set

    before = {"data_rss_mb": _rss(os.getpid()) / MB, "load_peak_mb": _hwm_mb()}
    t0 = time.perf_counter()
    ts = build_training_set(lake_path=lake, spec=TrainingSetSpec())
    return {**before, "fit_seconds": time.perf_counter() - t0, "peak_rss_mb": _hwm_mb(),
            "training_rows": len(ts.events), "nnz": ts.interactions.nnz}


def _load_data(path: Path) -> Any:
    from bench.scale_traffic import titles
    from models.interactions import Interactions

    with np.load(path) as npz:
        shape = tuple(int(x) for x in npz["shape"])
        matrix = sp.csr_matrix((npz["data"], npz["indices"], npz["indptr"]), shape=shape)
        users, category = npz["users"], npz["category"]
    item_ids = np.asarray([f"product:{i}" for i in range(shape[1])], dtype=object)
    return Interactions(matrix=matrix, user_ids=np.asarray([f"u{u}" for u in users.tolist()],
                                                           dtype=object),
                        item_ids=item_ids,
                        item_categories={str(i): f"c{c}" for i, c in
                                         zip(item_ids, category.tolist(), strict=True)},
                        item_texts=titles(item_ids, category))


def _hwm_mb() -> float:
    """This process's own RSS high-water mark (VmHWM starts afresh at exec)."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _quantiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"recommend_p50_ms": statistics.median(ordered) * 1000,
            "recommend_p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000}


def _state_bytes(model: Any) -> int:
    """The model's own arrays (its parts' for the hybrid), without the training matrix."""
    total = sum(int(a.nbytes) for a in model._state().values())
    return total + sum(_state_bytes(m) for m in getattr(model, "components", {}).values())
