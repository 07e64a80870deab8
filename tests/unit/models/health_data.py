"""Synthetic clinical tables shaped like Pima and Cleveland, with their missing codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.health.data import (
    CLEVELAND_COLUMNS,
    PIMA_COLUMNS,
    HealthDataset,
    cleveland_from_frame,
    pima_from_frame,
)


def pima_like(n: int = 200, seed: int = 0) -> HealthDataset:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({c: rng.normal(100, 20, n).round(1) for c in PIMA_COLUMNS})
    risk = (x["glucose"] - 100) / 20 + (x["bmi"] - 100) / 40 + rng.normal(0, 0.7, n)
    x.loc[rng.random(n) < 0.1, "insulin"] = 0.0  # zero codes missing
    x["outcome"] = (risk > 0.3).astype(int)
    return pima_from_frame(x)


def cleveland_like(n: int = 200, seed: int = 0) -> HealthDataset:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({c: rng.normal(50, 10, n).round(1) for c in CLEVELAND_COLUMNS})
    for c, k in (("cp", 4), ("restecg", 3), ("slope", 3), ("thal", 3)):
        x[c] = rng.integers(1, k + 1, n).astype(float)
    risk = (x["cp"] == 4) * 1.5 + (x["age"] - 50) / 10 + rng.normal(0, 0.7, n)
    x = x.astype(object)
    x.loc[rng.random(n) < 0.05, "ca"] = "?"
    x["num"] = np.where(risk > 0.5, rng.integers(1, 4, n), 0)
    frame = x.replace("?", np.nan)
    return cleveland_from_frame(frame)
