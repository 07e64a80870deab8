from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.health.card import model_card
from models.health.pipeline import build_pipeline, export, oof_check
from models.health.scorer import LinearRiskScorer
from models.health.validation import calibration_plot, cross_validate
from tests.unit.models.health_data import cleveland_like, pima_like


@pytest.mark.parametrize("make", [pima_like, cleveland_like])
def test_exported_scorer_matches_the_pipeline_and_explains(make, tmp_path: Path) -> None:
    data = make()
    assert data.features.isna().any().any()  # missing codes became NaN
    fitted = build_pipeline(data).fit(data.features, data.target)
    scorer = export(fitted, data)
    assert oof_check(fitted, scorer, data.features) < 1e-9
    loaded = LinearRiskScorer.load(scorer.save(tmp_path / "scorer.json"))
    row = data.features.iloc[0].to_dict()
    factors = loaded.explain(row, top=3)
    assert len(factors) == 3
    assert abs(factors[0].contribution) >= abs(factors[-1].contribution)
    risk = loaded.predict_proba(data.features.iloc[:5])
    assert ((risk > 0) & (risk < 1)).all()


def test_cross_validation_calibration_plot_and_card(tmp_path: Path) -> None:
    data = pima_like()
    report = cross_validate(data, folds=5, repeats=1)
    assert report.auc_mean > 0.8  # the synthetic signal is strong
    assert 0 < report.brier_mean < 0.25
    png = calibration_plot(report, data.target.to_numpy(), tmp_path / "cal.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    card = model_card(data, report, c=0.1)
    assert "Not a diagnosis" in card and f"{report.auc_mean:.3f}" in card
    assert np.isfinite(report.oof_probability).all()
