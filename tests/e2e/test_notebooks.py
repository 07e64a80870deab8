"""The notebooks run top to bottom on small data made in code, so they never rot."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from tests.unit.models.health_data import cleveland_like, pima_like
from tests.unit.models.lake_data import small_lake

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

pytestmark = pytest.mark.e2e


def _run(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


@pytest.fixture()
def lake_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lake = small_lake(tmp_path / "lake", days=10, users=16)
    monkeypatch.setenv("AGORA_LAKE_PATH", str(lake))
    monkeypatch.setenv("AGORA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("AGORA_MLFLOW_TRACKING_URI", raising=False)
    return lake


def test_explore_lake_notebook(lake_env: Path) -> None:
    nb = _run("01_explore_lake.ipynb")
    assert any("events," in "".join(o.get("text", "")) for c in nb.cells
               if c.cell_type == "code" for o in c.outputs)


def test_recommenders_notebook(lake_env: Path, monkeypatch: pytest.MonkeyPatch,
                               tmp_path: Path) -> None:
    monkeypatch.setenv("AGORA_NOTEBOOK_MODELS", "popularity,item_knn,ease,hybrid")
    _run("02_recommenders.ipynb")
    assert (tmp_path / "var" / "mlflow.db").exists()


def test_health_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pima, heart = pima_like(), cleveland_like()
    pima_file = tmp_path / "pima.csv"
    raw = pima.features.fillna(0.0).assign(outcome=pima.target)
    raw.to_csv(pima_file, header=False, index=False)
    heart_file = tmp_path / "cleveland.data"
    heart.features.assign(num=heart.target).replace(np.nan, "?").to_csv(
        heart_file, header=False, index=False)
    monkeypatch.setenv("AGORA_PIMA_PATH", str(pima_file))
    monkeypatch.setenv("AGORA_CLEVELAND_PATH", str(heart_file))
    monkeypatch.setenv("AGORA_CV_REPEATS", "1")
    _run("03_health_models.ipynb")
