"""The rules behind what is trained when no model is named."""

from __future__ import annotations

import argparse
import math

from models.cli import register
from models.trainer import pick
from models.training_job import DEFAULT_MODEL, TrainRequest, searches


def test_only_the_hybrids_cheap_search_runs_untold() -> None:
    assert TrainRequest().model == DEFAULT_MODEL == "hybrid"
    assert searches(TrainRequest())
    assert not searches(TrainRequest(tune=False))
    assert not searches(TrainRequest(model="ease"))  # a grid of refits: only when asked
    assert searches(TrainRequest(model="ease", tune=True))


def test_agora_train_untold_names_no_model_and_no_tuning_choice() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["train"])
    assert args.model is None and args.tune is None
    assert parser.parse_args(["train", "--no-tune"]).tune is False


def test_pick_takes_the_best_holdout_score_nan_lowest_first_listed_on_a_tie() -> None:
    scores = {"popularity": {"ndcg@10": 0.2}, "ease": {"ndcg@10": 0.4},
              "hybrid": {"ndcg@10": 0.4}, "item_knn": {"ndcg@10": math.nan}}
    assert pick(scores) == "ease"
    assert pick({"a": {"ndcg@10": math.nan}, "b": {"ndcg@10": 0.0}}) == "b"
