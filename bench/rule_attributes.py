"""`python -m bench.rule_attributes`: the catalogue read merchandising rules make for the
items of one request, one statement (`reads.item_attributes`, today's) against one query per
product plus one for its listings (the read before it, reproduced here as the baseline),
on SQLite and PostgreSQL (a schema of its own on `--postgres`, dropped at the end).

The catalogue: 12,000 products (bench/serving.py's size), a tenth with a listing. Each
request asks for `n` random products (31: a page of 10 with rules' room and one more; 200:
the service's largest pool); the two reads alternate request by request, so the machine's
load falls on both alike. Statements are counted with SQLAlchemy's `before_cursor_execute`.
Writes bench/results/rule-attributes.json.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, text

from bench.report import write_result
from core.adapters import tables as t
from core.adapters.database import create_database_engine
from core.adapters.sandbox_payments import SandboxPaymentGateway
from core.adapters.unit_of_work import SqlUnitOfWork, session_factory
from core.bootstrap import bootstrap
from core.migrations import upgrade
from core.service_layer import reads
from core.service_layer.messagebus import MessageBus
from core.service_layer.unit_of_work import UnitOfWork
from core.service_layer.views import View

PRODUCTS = 12_000
SIZES = (31, 200)


def per_item(uow: UnitOfWork, *, item_ids: list[str]) -> dict[str, View]:
    """The read before: a primary-key read per product and a listings read each."""
    out: dict[str, View] = {}
    for item_id in item_ids:
        kind, _, key = item_id.partition(":")
        if kind == "product" and (p := uow.products.get(key)) is not None:
            sellers = sorted({ln.seller_id for ln in uow.listings.list(product_sku=key,
                                                                        limit=100)})
            out[item_id] = {"category": p.category, "price": float(p.price.amount),
                            "sellers": sellers}
    return out


def seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.products), [
            {"sku": f"p{i}", "title": f"product {i}", "description": "", "category": f"c{i % 60}",
             "tags": [], "price_amount": Decimal(5 + i % 100), "price_currency": "USD",
             "version": 1} for i in range(PRODUCTS)])
        conn.execute(insert(t.listings), [
            {"listing_id": f"l{i}", "seller_id": f"seller-{i % 20}", "product_sku": f"p{i}",
             "price_amount": Decimal(5 + i % 100), "price_currency": "USD", "version": 1}
            for i in range(0, PRODUCTS, 10)])


def measure(bus: MessageBus, engine: Engine, n: int, requests: int) -> dict[str, Any]:
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements[0] += 1

    rng = random.Random(n)
    times: dict[str, list[float]] = {"one_statement": [], "per_item": []}
    counts: dict[str, list[int]] = {"one_statement": [], "per_item": []}
    for _ in range(requests):
        ids = [f"product:p{rng.randrange(PRODUCTS)}" for _ in range(n)]
        for name, read in (("one_statement", reads.item_attributes), ("per_item", per_item)):
            statements[0] = 0
            start = time.perf_counter()
            bus.read(read, item_ids=ids)
            times[name].append(time.perf_counter() - start)
            counts[name].append(statements[0])
    event.remove(engine, "before_cursor_execute", _count)
    out: dict[str, Any] = {"items": n, "requests": requests}
    for name in times:
        out[name] = {"median_ms": round(statistics.median(times[name]) * 1000, 3),
                     "p90_ms": round(statistics.quantiles(times[name], n=10)[-1] * 1000, 3),
                     "statements": round(statistics.mean(counts[name]), 1)}
    out["speedup"] = round(out["per_item"]["median_ms"] / out["one_statement"]["median_ms"], 1)
    return out


def run(url: str, requests: int) -> list[dict[str, Any]]:
    upgrade(url)
    engine = create_database_engine(url, pool_size=2)
    seed(engine)
    sessions = session_factory(engine)
    bus = bootstrap(uow_factory=lambda: SqlUnitOfWork(session_factory=sessions),
                    gateway=SandboxPaymentGateway())
    try:
        return [measure(bus, engine, n, requests) for n in SIZES]
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get(
        "AGORA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    result: dict[str, Any] = {"products": PRODUCTS, "note": "the two reads interleaved; "
                              "the machine was shared with other work"}
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = run(f"sqlite:///{Path(folder) / 'core.db'}", args.requests)
    schema = f"bench_rule_attributes_{os.getpid()}"
    admin = create_engine(args.postgres)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in args.postgres else "?"
        result["postgresql"] = run(f"{args.postgres}{sep}options=-csearch_path%3D{schema}",
                                   args.requests)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
    write_result("rule-attributes", result)


if __name__ == "__main__":
    main()
