"""The `agora` command: one entry point, configured by `AGORA_*` environment variables."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


def _broker(args: argparse.Namespace) -> int:
    from launch.broker import run_broker

    return run_broker(port=args.port, partitions=args.partitions)


def _worker(args: argparse.Namespace) -> int:
    from agents.app import run_worker
    from agora.settings import WorkerSettings

    overrides = {"worker_web_port": args.web_port} if args.web_port else {}
    run_worker(WorkerSettings(**overrides))
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from agora.settings import ServingSettings
    from serving.app import create_app

    settings = ServingSettings()
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    uvicorn.run(create_app(settings), host=host, port=port, loop="uvloop", http="httptools",
                log_level=settings.log_level.lower(), access_log=False,
                # open dashboards (server-sent events) must not hold a shutdown
                timeout_graceful_shutdown=3)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from agora.settings import SimulatorSettings
    from launch.simulator.run import api_recommend, simulate

    settings = SimulatorSettings()
    key = settings.admin_api_key
    recommend = (api_recommend(settings.simulator_api_url, key.get_secret_value())
                 if settings.simulator_api_url and key else None)
    report = simulate(bootstrap=settings.kafka_bootstrap, rate=args.rate,
                      duration_s=args.duration, seed=args.seed, bad_rate=args.bad_rate,
                      progress=True, recommend=recommend)
    print(f"simulate: {report.events} events in {report.seconds:.1f}s "
          f"({report.events_per_s:.0f}/s), {report.malformed} malformed", flush=True)
    return 0


def _replay(args: argparse.Namespace) -> int:
    from agora.settings import CommonSettings
    from launch.replay.runner import load, replay

    events = load(args.dataset, args.path)
    report = replay(events, bootstrap=CommonSettings().kafka_bootstrap, speed=args.speed,
                    limit=args.limit, progress=True)
    print(f"replay {args.dataset}: {report.produced} events in {report.seconds:.1f}s "
          f"({report.events_per_s:.0f}/s), {report.invalid} invalid; {report.by_type}",
          flush=True)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from launch.demo import run_demo

    return run_demo(broker_port=args.broker_port, api_port=args.api_port, rate=args.rate,
                    seed=args.seed, train_after_s=args.train_after,
                    retrain_every_s=args.train_every, retrain_after_events=args.train_after_events)


def _stack(args: argparse.Namespace) -> int:
    from launch.stack import StackOptions, run_stack

    return run_stack(StackOptions(workers=args.workers, apis=args.apis, lb_port=args.lb_port,
                                  simulate_rate=args.rate, train_interval_s=args.train_every,
                                  train_min_new_events=args.train_after_events,
                                  keep=args.keep, redis_cluster=args.redis_cluster))


def _relay(args: argparse.Namespace) -> int:
    from agora.settings import RelaySettings
    from core.entrypoints.relay import run_relay

    s = RelaySettings()
    if s.relay_metrics_port:
        from core.entrypoints.relay_metrics import serve_relay_metrics

        serve_relay_metrics(database_url=s.database_url, port=s.relay_metrics_port,
                            bind=s.relay_metrics_bind)
    return run_relay(database_url=s.database_url, bootstrap=s.kafka_bootstrap,
                     batch_size=s.relay_batch_size, shards_per_claim=s.relay_shards_per_claim,
                     delivery_timeout_s=s.relay_delivery_timeout_s,
                     backoff_max_s=s.relay_backoff_max_s, retention_s=s.relay_retention_s,
                     linger_s=s.relay_linger_s,
                     sweep={**s.sweep_options(), "backoff_max_s": s.relay_backoff_max_s}
                     if s.relay_sweep else None)


def _sweep(args: argparse.Namespace) -> int:
    from agora.settings import SweeperSettings
    from core.entrypoints.sweeper import run_sweeper

    s = SweeperSettings()
    return run_sweeper(database_url=s.database_url, once=args.once, options=s.sweep_options())


def _trainer(args: argparse.Namespace) -> int:
    import json
    import signal
    import threading

    from agora.settings import TrainerSettings
    from models.trainer import Trainer, TrainerConfig

    s = TrainerSettings()
    trainer = Trainer(settings=s, config=TrainerConfig(
        lake_path=s.lake, families=tuple(s.trainer_families), registered_name=s.model_name,
        interval_s=s.trainer_interval_s, min_new_events=s.trainer_min_new_events,
        poll_s=s.trainer_poll_s, holdout_share=s.trainer_holdout_share,
        half_life_days=s.trainer_half_life_days, challenger=s.trainer_challenger,
        min_score=s.trainer_min_score, health_data=s.trainer_health_data))
    if args.once:
        result = {"health": trainer.train_health_models(), **trainer.cycle("--once")}
        print(json.dumps(result, default=str), flush=True)
        return 0 if result["outcome"] not in {"failed", "skipped"} else 1
    port = args.metrics_port if args.metrics_port is not None else s.trainer_metrics_port
    if port:
        trainer.metrics.serve(port=port, bind=s.trainer_metrics_bind)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    trainer.run(stop)
    return 0


def _db(args: argparse.Namespace) -> int:
    from agora.settings import CommonSettings
    from core.migrations import upgrade

    url = CommonSettings().database_url
    if args.db_command == "upgrade":
        upgrade(url, args.revision)
        print(f"db: upgraded to {args.revision}", flush=True)
        return 0
    from core.bootstrap import bootstrap_database
    from core.service_layer.commands import IssueApiKey

    bus, close = bootstrap_database(database_url=url, pool_size=1)
    try:
        issued = bus.handle(IssueApiKey(name=args.name, scopes=tuple(args.scopes.split(","))))
    finally:
        close()
    print(issued["key"], flush=True)  # shown once; the database keeps only its hash
    return 0


def _lake(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict
    from datetime import UTC, datetime

    from agora.settings import WorkerSettings
    from features.lake import compact, expire

    settings = WorkerSettings()
    root = args.path or settings.lake
    if args.lake_command == "compact":
        before = None if args.all else datetime.now(UTC).date()
        print(json.dumps(asdict(compact(root, before=before))))
        return 0
    days = args.days or settings.lake_retention_days
    if days is None:
        print("no retention: pass --days or set AGORA_LAKE_RETENTION_DAYS", file=sys.stderr)
        return 2
    print(json.dumps({"expired": expire(root, keep_days=days)}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("broker", help="run the embedded Kafka-compatible broker (tansu)")
    p.add_argument("--port", type=int, default=9092)
    p.add_argument("--partitions", type=int, default=4)
    p.set_defaults(func=_broker)

    p = sub.add_parser("worker", help="run the Faust agents")
    p.add_argument("--web-port", type=int, default=None)
    p.set_defaults(func=_worker)

    p = sub.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=_serve)

    p = sub.add_parser("simulate", help="produce realistic synthetic traffic")
    p.add_argument("--rate", type=float, default=500.0, help="events/s; 0 for flat out")
    p.add_argument("--duration", type=float, default=60.0, help="seconds; 0 for until stopped")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--bad-rate", type=float, default=0.0, help="share of malformed events")
    p.set_defaults(func=_simulate)

    p = sub.add_parser("replay", help="replay a real dataset as events with its own timestamps")
    p.add_argument("dataset", choices=("movielens", "online-retail", "stackexchange"))
    p.add_argument("--path", required=True, help="the dataset's folder (or the retail CSV)")
    p.add_argument("--speed", type=float, default=0.0,
                   help="0: flat out; X: X times real time between events (waits capped at 5s)")
    p.add_argument("--limit", type=int, default=None, help="only the first N events by time")
    p.set_defaults(func=_replay)

    p = sub.add_parser("demo", help="the whole engine on embedded defaults")
    p.add_argument("--broker-port", type=int, default=9092)
    p.add_argument("--api-port", type=int, default=8000)
    p.add_argument("--rate", type=float, default=50.0, help="simulated events/s")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--train-after", type=float, default=45.0,
                   help="seconds before the trainer starts (the lake's first files)")
    p.add_argument("--train-every", type=float, default=300.0, help="trainer schedule, s")
    p.add_argument("--train-after-events", type=int, default=20_000,
                   help="the trainer also retrains after this many new lake events")
    p.set_defaults(func=_demo)

    p = sub.add_parser("stack", help="the production topology as local processes")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--apis", type=int, default=2, help="API replicas behind HAProxy")
    p.add_argument("--lb-port", type=int, default=0, help="HAProxy's port (default: free)")
    p.add_argument("--rate", type=float, default=20.0, help="simulated events/s; 0: none")
    p.add_argument("--train-every", type=float, default=300.0, help="trainer schedule, s")
    p.add_argument("--train-after-events", type=int, default=2000,
                   help="the trainer also retrains after this many new lake events")
    p.add_argument("--keep", action="store_true", help="keep its databases and folder")
    p.add_argument("--redis-cluster", action="store_true",
                   help="the online store on a three-master Redis Cluster of its own")
    p.set_defaults(func=_stack)

    p = sub.add_parser("relay", help="publish the core's outbox to Kafka (and sweep orders)")
    p.set_defaults(func=_relay)

    p = sub.add_parser("sweep", help="settle orders left paying, expire unpaid reservations")
    p.add_argument("--once", action="store_true", help="one round, then print what it did")
    p.set_defaults(func=_sweep)

    p = sub.add_parser("trainer", help="retrain from the lake on a schedule; promote if better")
    p.add_argument("--once", action="store_true", help="one cycle now; print it as JSON")
    p.add_argument("--metrics-port", type=int, default=None, help="/metrics; 0: none")
    p.set_defaults(func=_trainer)

    p = sub.add_parser("db", help="the core's database")
    db = p.add_subparsers(dest="db_command", required=True)
    q = db.add_parser("upgrade", help="run the migrations")
    q.add_argument("revision", nargs="?", default="head")
    q.set_defaults(func=_db)
    q = db.add_parser("issue-key", help="issue an API key with scopes; prints it once")
    q.add_argument("--name", required=True)
    q.add_argument("--scopes", required=True, help="comma-separated: catalog:write,orders:write")
    q.set_defaults(func=_db)

    p = sub.add_parser("lake", help="maintain the Parquet lake: compact, expire")
    lake = p.add_subparsers(dest="lake_command", required=True)
    q = lake.add_parser("compact", help="one exact file per date and type (past dates)")
    q.add_argument("--all", action="store_true", help="today's partitions too")
    q.add_argument("--path", type=Path, default=None, help="the lake (default: the worker's)")
    q.set_defaults(func=_lake)
    q = lake.add_parser("expire", help="delete dates older than the retention")
    q.add_argument("--days", type=int, default=None,
                   help="keep this many days (default AGORA_LAKE_RETENTION_DAYS)")
    q.add_argument("--path", type=Path, default=None, help="the lake (default: the worker's)")
    q.set_defaults(func=_lake)

    from models.cli import register as register_models

    register_models(sub)  # train, evaluate
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
