"""`agora train` and `agora evaluate`; launch/cli.py calls `register(subparsers)`.

Both commands print their result on stdout (JSON with `--json`); progress bars and logs
go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DATASETS = ("movielens-100k", "online-retail")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="offline metrics on a published protocol")
    p.add_argument("--dataset", choices=DATASETS, required=True)
    p.add_argument("--path", required=True, help="MovieLens folder (u.data) or retail CSV")
    p.add_argument("--test-path", default=None, help="online-retail: a separate test file")
    p.add_argument("--model", action="append", default=None,
                   help="model name (repeatable); every model when left out")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--no-tune", action="store_true",
                   help="use preset parameters instead of tuning on a validation split")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=evaluate_command)

    p = subparsers.add_parser("train", help="train from the lake, log to MLflow, register")
    p.add_argument("--model", default=None,
                   help="recommender preset, or health-diabetes / health-heart (docs/models.md);"
                        " untold: the hybrid with its blend searched on this data")
    p.add_argument("--data", default=None, help="health models: the dataset folder or file")
    alias = p.add_mutually_exclusive_group()
    alias.add_argument("--promote", action="store_true",
                       help="move the champion alias if the new model beats the champion")
    alias.add_argument("--challenger", action="store_true",
                       help="move the challenger alias to the new model: serving gives it "
                            "AGORA_CHALLENGER_SHARE of users, and live CTR per variant compares")
    p.add_argument("--lake", default=None, help="lake path (default AGORA_LAKE_PATH)")
    p.add_argument("--cutoff", default=None, help="train on events before this time (UTC)")
    p.add_argument("--half-life-days", type=float, default=None, help="time decay")
    p.add_argument("--domain", action="append", default=None,
                   help="commerce, community or podcast (repeatable; default all)")
    p.add_argument("--tune", action=argparse.BooleanOptionalAction, default=None,
                   help="search the model's params on validation first (its grid; the "
                        "hybrid's blend weights); default: only the hybrid's cheap blend "
                        "search")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=train_command)


def evaluate_command(args: argparse.Namespace) -> int:
    from models.evaluation.protocols import (
        DEFAULT_MODELS,
        movielens_protocol,
        online_retail_protocol,
        run,
    )

    protocol = (movielens_protocol(args.path) if args.dataset == "movielens-100k"
                else online_retail_protocol(args.path, args.test_path))
    report = run(protocol, args.model or DEFAULT_MODELS, k=args.k, tuned=not args.no_tune)
    _print(report, as_json=args.json)
    return 0


def train_command(args: argparse.Namespace) -> int:
    from agora.settings import RegistrySettings

    settings = RegistrySettings()
    if args.model and args.model.startswith("health-"):
        from models.health.job import train_health

        if args.challenger:
            print("--challenger is for recommenders: a health model has one champion",
                  file=sys.stderr)
            return 2

        _print(train_health(args.model.removeprefix("health-"), args.data, settings=settings,
                            promote=args.promote), as_json=args.json)
        return 0
    from models.training_job import DEFAULT_MODEL, TrainRequest, train

    result = train(TrainRequest(model=args.model or DEFAULT_MODEL, lake_path=args.lake,
                                cutoff=args.cutoff,
                                half_life_days=args.half_life_days, domains=args.domain,
                                promote=args.promote, challenger=args.challenger,
                                tune=args.tune), settings=settings)
    _print(result, as_json=args.json)
    return 0


def _print(report: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report), flush=True)
        return
    for key, value in report.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, inner in value.items():
                print(f"  {name}: {json.dumps(inner)}")
        else:
            print(f"{key}: {value}")
