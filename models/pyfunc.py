"""MLflow pyfunc wrappers: recommenders and health models have no built-in MLflow flavour.

The weights travel as artifacts in the pickle-free format of `models.persistence`; the
wrapper class is imported by reference when MLflow loads the model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types import ColSpec, Schema

from models.catalog import load

RECOMMEND_SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "user_id"), ColSpec("long", "k")]),
    outputs=Schema([ColSpec("string", "user_id"), ColSpec("string", "item_id"),
                    ColSpec("double", "score"), ColSpec("long", "rank")]),
)


class RecommenderPyfunc(PythonModel):
    """predict(DataFrame[user_id, k]) -> DataFrame[user_id, item_id, score, rank]."""

    def load_context(self, context: Any) -> None:
        self.model = load(context.artifacts["model"])

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        rows = []
        for user, k in zip(model_input["user_id"], model_input.get("k", [10] * len(model_input)),
                           strict=True):
            for rank, rec in enumerate(self.model.recommend(str(user), int(k)), start=1):
                rows.append((str(user), rec.item_id, rec.score, rank))
        return pd.DataFrame(rows, columns=["user_id", "item_id", "score", "rank"])
