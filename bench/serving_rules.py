"""`python -m bench.serving_rules`: what three active merchandising rules cost a
recommendation, beside plain recommendations and hello-world in the same server and run.

The server, model and load generator are bench/serving.py's. The catalogue is seeded with the
model's 12,000 products (category, price, a seller each), so rules that match attributes read
them from the core as in production (cached per replica). Runs hello-world and plain
recommendations first, then creates three rules over `/v1/rules` (a boost of one category
under a price, a filter of one seller's products, a pin at position 3), waits for the replica
to serve them, loads the paths once to warm the attribute cache (a replica in steady state
holds it), and measures the same recommendation paths again. Writes
bench/results/serving-rules.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.report import write_result
from bench.serving import (
    API_KEY,
    HELLO_PATH,
    N_CATEGORIES,
    N_ITEMS,
    N_USERS,
    load,
    register_model,
    start_server,
    wait_for_champion,
)
from launch.broker import free_port

RULES: tuple[dict[str, Any], ...] = (
    {"action": "boost", "weight": 0.5, "match": {"categories": ["c3"], "price_max": 60}},
    {"action": "filter", "mode": "exclude", "match": {"sellers": ["seller-7"]}},
    {"action": "pin", "item_id": "product:p42", "position": 3},
)


def seed_catalogue(client: httpx.Client) -> None:
    per_cat = N_ITEMS // N_CATEGORIES
    for start in range(0, N_ITEMS, 1000):
        products = [{"sku": f"p{i}", "title": f"product {i}", "category": f"c{i // per_cat}",
                     "price": {"amount": 5 + i % 100, "currency": "USD"}}
                    for i in range(start, min(start + 1000, N_ITEMS))]
        client.put("/v1/catalog/products", json={"products": products}).raise_for_status()
    for i in range(0, N_ITEMS, 10):  # a tenth of the products have a marketplace listing
        client.post("/v1/catalog/listings", json={
            "seller_id": f"seller-{i % 20}", "sku": f"p{i}",
            "price": {"amount": 5 + i % 100, "currency": "USD"}}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    rec_paths = [f"/v1/users/u{u}/recommendations?k=10"
                 for u in rng.integers(0, N_USERS, size=5000)]
    runs: dict[str, dict[str, dict[str, Any]]] = {"hello": {}, "recommendations": {},
                                                  "rules": {}}
    with tempfile.TemporaryDirectory(prefix="agora-bench-rules-") as name:
        tmp = Path(name)
        tracking_uri = f"sqlite:///{tmp / 'mlflow.db'}"
        model = register_model(tracking_uri)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(tmp, tracking_uri, port)
        try:
            wait_for_champion(base)
            with httpx.Client(base_url=base, headers={"X-API-Key": API_KEY},
                              timeout=30) as client:
                seed_catalogue(client)
                for connections in (32, 128):
                    for endpoint, paths in (("hello", [HELLO_PATH]),
                                            ("recommendations", rec_paths)):
                        runs[endpoint][str(connections)] = load(base, paths, connections,
                                                                args.duration, tmp)
                made = [client.post("/v1/rules", json=rule).json() for rule in RULES]
                time.sleep(2.5)  # a replica polls the revision every second
                sample = client.get(rec_paths[0]).json()
                assert sample["items"][2]["item_id"] == "product:p42", sample
                assert made[-1]["rule_id"] in sample["rules"], sample
                # a replica in steady state holds its items' attributes: warm the cache
                load(base, rec_paths, 32, args.duration, tmp)
                for connections in (32, 128):
                    runs["rules"][str(connections)] = load(base, rec_paths, connections,
                                                           args.duration, tmp)
        finally:
            server.terminate()
            server.wait(timeout=30)
    ratio = {endpoint: {c: round(runs[endpoint][c]["rps"] / runs["hello"][c]["rps"], 3)
                        for c in ("32", "128")} for endpoint in ("recommendations", "rules")}
    write_result("serving-rules", {
        "endpoints": runs, "throughput_ratio": ratio, "model": model,
        "rules": [r["action"] for r in RULES],
        "setup": "bench/serving.py's server (uvicorn 1 worker, embedded SQLite store and core,"
                 " no broker); the catalogue seeded with the model's products"})


if __name__ == "__main__":
    main()
