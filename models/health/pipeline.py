"""The scikit-learn pipeline behind each health model, and its export to a scorer.

Median imputation (missing-value codes are NaN by then), standardisation, one-hot for
categorical codes, L2 logistic regression, and Platt calibration fitted on out-of-fold
predictions (`CalibratedClassifierCV(ensemble=False)`), so probabilities are calibrated
while the model stays one linear function that can be explained feature by feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from models.health.data import HealthDataset
from models.health.scorer import LinearRiskScorer


def build_pipeline(dataset: HealthDataset, *, c: float = 0.1,
                   seed: int = 0) -> CalibratedClassifierCV:
    numeric = [f for f in dataset.features.columns if f not in dataset.categorical]
    steps = [("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                               ("scale", StandardScaler())]), numeric)]
    if dataset.categorical:
        steps.append(("cat", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
            list(dataset.categorical)))
    model = Pipeline([("encode", ColumnTransformer(steps)),
                      ("classify", LogisticRegression(C=c, max_iter=2000))])
    return CalibratedClassifierCV(model, method="sigmoid", cv=5, ensemble=False)


def export(fitted: CalibratedClassifierCV, dataset: HealthDataset) -> LinearRiskScorer:
    """The fitted pipeline as plain numbers (see `models.health.scorer`)."""
    calibrated = fitted.calibrated_classifiers_[0]
    pipeline: Pipeline = calibrated.estimator
    encode: ColumnTransformer = pipeline.named_steps["encode"]
    classify: LogisticRegression = pipeline.named_steps["classify"]
    coef = classify.coef_.ravel()
    numeric_cols = list(encode.transformers_[0][2])
    num = encode.named_transformers_["num"]
    imputer, scaler = num.named_steps["impute"], num.named_steps["scale"]
    numeric = {f: {"median": float(imputer.statistics_[i]), "mean": float(scaler.mean_[i]),
                   "scale": float(scaler.scale_[i])} for i, f in enumerate(numeric_cols)}
    weights = {f: float(coef[i]) for i, f in enumerate(numeric_cols)}
    categorical = {}
    offset = len(numeric_cols)
    if dataset.categorical:
        cat = encode.named_transformers_["cat"]
        fill = cat.named_steps["impute"].statistics_
        for j, (feature, cats) in enumerate(zip(dataset.categorical,
                                                cat.named_steps["onehot"].categories_,
                                                strict=True)):
            categorical[feature] = {"fill": float(fill[j]),
                                    "categories": [float(c) for c in cats],
                                    "weights": [float(w) for w in coef[offset:offset + len(cats)]]}
            offset += len(cats)
    platt = calibrated.calibrators[0]
    return LinearRiskScorer(name=dataset.name, numeric=numeric, categorical=categorical,
                            weights=weights, intercept=float(classify.intercept_[0]),
                            platt_a=float(platt.a_), platt_b=float(platt.b_))


def fit_scorer(dataset: HealthDataset, *, c: float = 0.1) -> LinearRiskScorer:
    fitted = build_pipeline(dataset, c=c).fit(dataset.features, dataset.target)
    return export(fitted, dataset)


def oof_check(fitted: CalibratedClassifierCV, scorer: LinearRiskScorer,
              features: pd.DataFrame) -> float:
    """Largest gap between the pipeline's and the exported scorer's probabilities."""
    return float(np.max(np.abs(fitted.predict_proba(features)[:, 1]
                               - scorer.predict_proba(features))))
