"""MLflow: where runs go, and how every run records its provenance.

Where runs go is `RegistrySettings.mlflow_uri`: SQLite at `<data_dir>/mlflow.db` by default
(where serving looks too), artifacts in `<data dir>/mlflow-artifacts`; `mlflow_tracking_uri`
points elsewhere (an MLflow server in production). Nothing connects at import time:
`configure()` is called by the jobs that log.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import mlflow

from agora.settings import RegistrySettings

RUNTIME_PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "implicit", "mlflow-skinny")


def configure(experiment: str, *, settings: RegistrySettings) -> str:
    """Point MLflow at the tracking store and make sure `experiment` exists; its id."""
    uri = settings.mlflow_uri
    if not settings.mlflow_tracking_uri:  # the default SQLite file's folder
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        mlflow.set_experiment(experiment_id=found.experiment_id)
        return str(found.experiment_id)
    location = None
    if uri.startswith("sqlite:"):
        location = (Path(uri.removeprefix("sqlite:///")).parent / "mlflow-artifacts").as_uri()
    experiment_id = mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment_id=experiment_id)
    return str(experiment_id)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True, timeout=5, cwd=Path(__file__).resolve().parent)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def pip_requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Pinned runtime requirements, given explicitly so MLflow does not spend seconds guessing."""
    pins = []
    for name in (*RUNTIME_PACKAGES, *extra):
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return pins


def flat_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested params as `a.b` keys with JSON-ish string values (MLflow params are strings)."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flat_params(value, prefix=f"{name}."))
        else:
            flat[name] = json.dumps(value) if not isinstance(value, str) else value
    return flat


def log_provenance(*, window_start: datetime | None, window_end: datetime | None,
                   dataset: str, extra: Mapping[str, str] | None = None) -> None:
    """Tags every run carries: git commit, data window and source."""
    mlflow.set_tags({
        "git_commit": git_commit(),
        "data.window_start": window_start.isoformat() if window_start else "",
        "data.window_end": window_end.isoformat() if window_end else "",
        "data.source": dataset,
        **(extra or {}),
    })
