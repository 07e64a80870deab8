"""Model cards: what the health model is, how it was measured, and what it is not."""

from __future__ import annotations

from pathlib import Path

from models.health.data import HealthDataset
from models.health.validation import CVReport

PURPOSE = {
    "diabetes": ("Pima Indians Diabetes Database (NIDDK via UCI): 768 women of Pima heritage, "
                 "aged 21 or over; zeros in glucose, blood pressure, skin thickness, insulin "
                 "and BMI code missing values and are imputed by the training median.",
                 "onset of diabetes within five years (outcome = 1)", 0.83),
    "heart": ("UCI Heart Disease, Cleveland Clinic subset: 303 patients, 13 attributes; "
              "`?` codes missing values (ca, thal), imputed by the training median or mode.",
              "angiographic heart disease (num > 0)", 0.90),
}


def model_card(dataset: HealthDataset, report: CVReport, *, c: float) -> str:
    data_text, target, reference = PURPOSE.get(dataset.name, (dataset.source, "risk", 0.0))
    positives = int(dataset.target.sum())
    return f"""# Model card: {dataset.name} risk

**Not a diagnosis.** This model estimates a statistical risk from a few measurements. It
must not be used to diagnose, treat or exclude disease; a clinician decides.

## Model
- Pipeline: median/mode imputation, standardisation, one-hot categorical codes, L2 logistic
  regression (C={c}), Platt calibration on out-of-fold predictions (5-fold,
  `CalibratedClassifierCV(ensemble=False)`).
- Served as plain JSON numbers (`LinearRiskScorer`), no pickle; each prediction lists the
  features that moved it most (their contribution to the log-odds).
- Registered in MLflow as `agora-health-{dataset.name}`; serving loads `@champion`.

## Data
- {data_text}
- Rows: {len(dataset.target)}, positives: {positives} ({positives / len(dataset.target):.1%}).
- Target: {target}.
- Source file: `{Path(dataset.source).name}`.

## Evaluation
Repeated stratified {report.folds}-fold cross-validation, {report.repeats} repeats, seed 42:

| metric | mean | std |
| --- | --- | --- |
| ROC AUC | {report.auc_mean:.3f} | {report.auc_std:.3f} |
| Brier score | {report.brier_mean:.3f} | {report.brier_std:.3f} |

Published logistic-regression reference: AUC {reference:.2f}. The calibration plot
(reliability diagram of out-of-fold probabilities) is logged with the run.

## Intended use
Decision support and risk communication in demos and research: ranking who might benefit
from a screening conversation, showing which measurements drive an estimate.

## Limits
- Small, old, single-site cohorts; the population (Pima women; Cleveland 1988 referrals) is
  not the user base of this platform. Calibration will drift elsewhere.
- Imputed values are guesses; a missing measurement lowers confidence and is not flagged in
  the probability itself.
- Linear model: interactions between features are not captured.
- Sex and ethnicity are encoded in the data; fairness across groups has not been audited.
"""
