"""Repeated stratified 10-fold cross-validation: ROC AUC, Brier score, a calibration plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from tqdm.auto import tqdm

from models.health.data import HealthDataset
from models.health.pipeline import build_pipeline


@dataclass(frozen=True, kw_only=True)
class CVReport:
    dataset: str
    folds: int
    repeats: int
    auc_mean: float
    auc_std: float
    brier_mean: float
    brier_std: float
    oof_probability: np.ndarray  # mean out-of-fold probability per row over repeats

    def metrics(self) -> dict[str, float]:
        return {"roc_auc": self.auc_mean, "roc_auc_std": self.auc_std,
                "brier": self.brier_mean, "brier_std": self.brier_std}


def cross_validate(dataset: HealthDataset, *, folds: int = 10, repeats: int = 5,
                   seed: int = 42, c: float = 0.1, progress: bool = False) -> CVReport:
    x, y = dataset.features, dataset.target.to_numpy()
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    aucs, briers = [], []
    oof = np.zeros(len(y))
    for train, test in tqdm(list(splitter.split(x, y)), desc=f"cv {dataset.name}",
                            disable=not progress, leave=False):
        model = build_pipeline(dataset, c=c).fit(x.iloc[train], y[train])
        p = model.predict_proba(x.iloc[test])[:, 1]
        aucs.append(roc_auc_score(y[test], p))
        briers.append(brier_score_loss(y[test], p))
        oof[test] += p / repeats
    return CVReport(dataset=dataset.name, folds=folds, repeats=repeats,
                    auc_mean=float(np.mean(aucs)), auc_std=float(np.std(aucs)),
                    brier_mean=float(np.mean(briers)), brier_std=float(np.std(briers)),
                    oof_probability=oof)


def calibration_plot(report: CVReport, target: np.ndarray, path: str | Path,
                     bins: int = 10) -> Path:
    """Reliability diagram of the out-of-fold probabilities, written as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(target, report.oof_probability, n_bins=bins,
                                            strategy="quantile")
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    ax.plot(predicted, observed, marker="o",
            label=f"{report.dataset} (Brier {report.brier_mean:.3f})")
    ax.set_xlabel("predicted risk")
    ax.set_ylabel("observed rate")
    ax.set_title(f"{report.dataset}: {report.repeats}x{report.folds}-fold CV, "
                 f"AUC {report.auc_mean:.3f}")
    ax.legend(loc="upper left")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out
