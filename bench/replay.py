"""`python -m bench.replay`: the full Online Retail file and the Stack Exchange dump replayed
flat out through the embedded broker and a real worker; the worker's live totals compared with
a plain pandas computation on the same files.

Writes bench/results/replay.json. Paths default to ../shared/datasets (`--datasets`).
Each dataset gets its own worker (own consumer group) and embedded store, so totals don't mix.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from bench.report import write_result
from bench.workers import Worker
from features import kpis as k
from features.online import open_store
from launch.broker import EmbeddedBroker, free_port
from launch.replay.runner import load, replay

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
RETAIL_FIELDS = {"orders": k.ORDERS, "gmv_cents": k.GMV_CENTS, "units": k.UNITS,
                 "cancelled": k.CANCELLED}
SE_FIELDS = {"posts": k.POSTS, "comments": k.COMMENTS, "votes": k.VOTES,
             "registrations": k.REGISTRATIONS}


def retail_expected(csv: Path) -> dict[str, int]:
    """Orders, GMV (pence), units and cancellations of the CSV by plain pandas."""
    df = pd.read_csv(csv, dtype={"InvoiceNo": str, "StockCode": str})
    lines = df[df["InvoiceNo"].str.fullmatch(r"\d+") & (df["Quantity"] > 0)
               & (df["UnitPrice"] >= 0)]
    value = (lines["Quantity"] * lines["UnitPrice"]).groupby(lines["InvoiceNo"]).sum()
    return {"orders": int(lines["InvoiceNo"].nunique()),
            "gmv_cents": int((value.round(2) * 100).round().sum()),
            "units": int(lines["Quantity"].sum()),
            "cancelled": int(df.loc[df["InvoiceNo"].str.startswith("C"), "InvoiceNo"].nunique())}


def stackexchange_expected(folder: Path) -> dict[str, int]:
    """Questions, answers + comments on live posts, up/down votes and users by plain pandas."""
    def xml(name: str) -> pd.DataFrame:
        return pd.read_xml(folder / f"{name}.xml", parser="etree", xpath="./row")

    posts = xml("Posts")
    questions = set(posts.loc[posts["PostTypeId"] == 1, "Id"])
    answers = posts[(posts["PostTypeId"] == 2) & posts["ParentId"].notna()]
    comments, votes = xml("Comments"), xml("Votes")
    live = questions | set(answers["Id"])
    return {"posts": len(questions),
            "comments": len(answers) + int(comments["PostId"].isin(live).sum()),
            "votes": int((votes["VoteTypeId"].isin([2, 3]) & votes["PostId"].isin(live)).sum()),
            "registrations": len(xml("Users"))}


async def live_totals(db: Path, fields: dict[str, str], expected: dict[str, int],
                      timeout_s: float) -> tuple[dict[str, int], float]:
    """Poll the store until the totals equal `expected` or stop moving for 30 s."""
    store = open_store(f"sqlite:///{db}")
    start = last_change = time.monotonic()
    seen: dict[str, int] = {}
    try:
        while time.monotonic() - start < timeout_s:
            totals = await k.read_totals(store)
            now = {name: int(totals.get(f, 0)) for name, f in fields.items()}
            if now != seen:
                seen, last_change = now, time.monotonic()
            if now == expected or time.monotonic() - last_change > 30:
                break
            await asyncio.sleep(0.2)
    finally:
        await store.close()
    return seen, time.monotonic() - start


def run(dataset: str, path: Path, expected: dict[str, int], fields: dict[str, str],
        bootstrap: str) -> dict[str, Any]:
    events = load(dataset, path)
    with tempfile.TemporaryDirectory() as tmp:
        # The default lake flush (60 s): the dump spans ~1,000 event dates, one file each.
        worker = Worker(bootstrap=bootstrap, data_dir=Path(tmp), env={"AGORA_LAKE_FLUSH_S": "60"},
                        app_id=f"bench-replay-{uuid.uuid4().hex[:6]}").start()
        try:
            report = replay(events, bootstrap=bootstrap, speed=0, progress=True)
            live, waited = asyncio.run(live_totals(Path(tmp) / "online.db", fields, expected,
                                                   timeout_s=600))
        finally:
            worker.stop()
    return {"events": report.produced, "invalid": report.invalid,
            "replay_events_per_s": round(report.events_per_s),
            "by_type": report.by_type, "expected_pandas": expected, "live": live,
            "equal": live == expected,
            "seconds_until_live_equal_after_replay": round(waited, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()
    retail = args.datasets / "uci-online-retail"
    csv = next(retail.glob("*.csv.gz"))
    se = args.datasets / "beer-stackexchange"
    with EmbeddedBroker(port=free_port()) as broker:
        out = {"online-retail": run("online-retail", csv, retail_expected(csv), RETAIL_FIELDS,
                                    broker.bootstrap),
               "stackexchange": run("stackexchange", se, stackexchange_expected(se), SE_FIELDS,
                                    broker.bootstrap)}
    write_result("replay", {"command": "python -m bench.replay", "store": "sqlite", **out})


if __name__ == "__main__":
    main()
