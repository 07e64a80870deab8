"""`python -m models.health [--datasets DIR]`: cross-validate both health models and write
their model cards (docs/health-model-cards.md) and calibration plots (docs/health-*.png)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from models.health.card import model_card
from models.health.data import load_cleveland, load_pima
from models.health.validation import calibration_plot, cross_validate

DOCS = Path(__file__).resolve().parents[2] / "docs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default="../shared/datasets")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(args.datasets)
    cards, figures = [], {}
    for data in (load_pima(root / "pima-diabetes"), load_cleveland(root / "uci-heart-disease")):
        report = cross_validate(data, repeats=args.repeats, progress=True)
        plot = calibration_plot(report, data.target.to_numpy(),
                                DOCS / f"health-calibration-{data.name}.png")
        cards.append(model_card(data, report, c=0.1).replace(
            "is logged with the run.", f"is logged with the run and in `docs/{plot.name}`."))
        figures[data.name] = report.metrics()
    (DOCS / "health-model-cards.md").write_text(
        "<!-- written by `python -m models.health`; do not edit by hand -->\n\n"
        + "\n\n".join(c.replace("\n## ", "\n### ").replace("# Model card", "## Model card")
                      for c in cards)
        .join(["# Health model cards\n\n", ""]))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
