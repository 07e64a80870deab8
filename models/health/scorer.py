"""A fitted health model exported to plain numbers: JSON in, probabilities and factors out.

The model is linear in its encoded inputs (median-imputed, standardised numbers and one-hot
categories), then Platt-calibrated: p = 1 / (1 + exp(a * (w . z + b0) + c)). So the exact
same prediction runs from JSON, with no pickle, and each feature's contribution to the
log-odds is w . z summed over the columns that feature expands to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Factor:
    feature: str
    value: float | None
    contribution: float  # to the log-odds of the risk; > 0 raises it


@dataclass(frozen=True, kw_only=True)
class LinearRiskScorer:
    name: str
    numeric: dict[str, dict[str, float]]  # feature -> median, mean, scale
    categorical: dict[str, dict[str, Any]]  # feature -> fill, categories, weights
    weights: dict[str, float]  # numeric feature -> coefficient
    intercept: float
    platt_a: float
    platt_b: float

    def _encoded(self, frame: pd.DataFrame) -> pd.DataFrame:
        parts = {}
        for feature, spec in self.numeric.items():
            values = pd.to_numeric(frame[feature], errors="coerce").fillna(spec["median"])
            parts[feature] = self.weights[feature] * (values - spec["mean"]) / spec["scale"]
        for feature, cat in self.categorical.items():
            values = pd.to_numeric(frame[feature], errors="coerce").fillna(cat["fill"])
            lookup = dict(zip(cat["categories"], cat["weights"], strict=True))
            parts[feature] = values.map(lambda v, lk=lookup: lk.get(float(v), 0.0))
        return pd.DataFrame(parts, index=frame.index)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        logit = self._encoded(frame).sum(axis=1).to_numpy() + self.intercept
        return 1.0 / (1.0 + np.exp(self.platt_a * logit + self.platt_b))

    def explain(self, row: Mapping[Any, Any], top: int = 3) -> list[Factor]:
        """The features that moved this prediction most, largest effect first."""
        contributions = self._encoded(pd.DataFrame([row])).iloc[0]
        order = contributions.abs().sort_values(ascending=False).index[:top]
        return [Factor(str(f), _number(row.get(str(f))),
                       float(contributions[f]) * -self.platt_a) for f in order]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LinearRiskScorer:
        return cls(**json.loads(text))

    def save(self, path: str | Path) -> Path:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(self.to_json())
        return file

    @classmethod
    def load(cls, path: str | Path) -> LinearRiskScorer:
        return cls.from_json(Path(path).read_text())


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number
