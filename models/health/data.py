"""The two clinical datasets, with their missing-value codes turned into NaN."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PIMA_COLUMNS = ("pregnancies", "glucose", "blood_pressure", "skin_thickness", "insulin", "bmi",
                "diabetes_pedigree", "age")
PIMA_ZERO_MEANS_MISSING = ("glucose", "blood_pressure", "skin_thickness", "insulin", "bmi")
CLEVELAND_COLUMNS = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach",
                     "exang", "oldpeak", "slope", "ca", "thal")
CLEVELAND_CATEGORICAL = ("cp", "restecg", "slope", "thal")


@dataclass(frozen=True, kw_only=True)
class HealthDataset:
    name: str
    features: pd.DataFrame
    target: pd.Series
    categorical: tuple[str, ...]
    source: str


def load_pima(path: str | Path) -> HealthDataset:
    root = Path(path)
    file = root / "pima-indians-diabetes.data.csv" if root.is_dir() else root
    frame = pd.read_csv(file, header=None, names=[*PIMA_COLUMNS, "outcome"])
    return pima_from_frame(frame, source=str(file))


def pima_from_frame(frame: pd.DataFrame, *, source: str = "in-memory") -> HealthDataset:
    features = frame[list(PIMA_COLUMNS)].astype(float)
    for column in PIMA_ZERO_MEANS_MISSING:
        features[column] = features[column].replace(0.0, np.nan)
    return HealthDataset(name="diabetes", features=features,
                         target=frame["outcome"].astype(int), categorical=(), source=source)


def load_cleveland(path: str | Path) -> HealthDataset:
    root = Path(path)
    file = root / "processed.cleveland.data" if root.is_dir() else root
    frame = pd.read_csv(file, header=None, names=[*CLEVELAND_COLUMNS, "num"], na_values=["?"])
    return cleveland_from_frame(frame, source=str(file))


def cleveland_from_frame(frame: pd.DataFrame, *, source: str = "in-memory") -> HealthDataset:
    features = frame[list(CLEVELAND_COLUMNS)].astype(float).replace(-9.0, np.nan)
    return HealthDataset(name="heart", features=features,
                         target=(frame["num"].astype(float) > 0).astype(int),
                         categorical=CLEVELAND_CATEGORICAL, source=source)
