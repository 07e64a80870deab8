"""`python -m bench.chaos`: a real worker under hostile input and failing dependencies.

Each scenario sends simulator traffic with hostile but valid events (bench.poison) and
poison records mixed in, by an outside client (librdkafka), half before the worker starts and
half while it runs, and injects one fault mid-stream (bench.faults):

- `poison`: none, the hostile input alone;
- `redis-kill`: the Redis store killed -9, restarted on the same port 3 s later (append-only
  file fsynced on every write: the production setting, so its data survives);
- `worker-kill`: the worker killed -9 and restarted, on the Redis store;
- `broker-freeze`: the broker stopped (SIGSTOP) for 3 s once dead letters are being sent,
  then resumed: it keeps its data;
- `broker-replace`: the broker killed (SIGKILL) once dead letters are being sent and an
  empty one started on the same port 3 s later (tansu keeps topics in memory only: what the
  old one held is gone); its partitions padded to the old offsets (`padding`), then the
  second half of the traffic goes to it.

Per scenario: valid events sent, applied (in the lake), poisons sent and dead-lettered, lost
(sent and neither applied nor dead-lettered: must be 0), whether orders, GMV and on-hand in
the store equal the events sent, and the time the worker took to make progress again after
the dependency came back. The fault tests (tests/integration/agents/test_worker_faults.py,
tests/e2e/test_poison_events.py) assert on the same outcomes.

Writes bench/results/chaos.json and docs/img/bench-chaos.png.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import ledger
from bench.faults import DOWN_S, INJECT, RedisServer, Say, Stage, worker_metric
from bench.ledger import Sent
from bench.poison import Record, hostile_events, interleave, poisons, record_of
from bench.report import PLOTS, write_result
from bench.workers import Worker
from features.online import OnlineStore, open_store
from launch.broker import EmbeddedBroker, free_port
from launch.simulator.traffic import Traffic

FAULTS = ("poison", "redis-kill", "worker-kill", "broker-freeze", "broker-replace")
SETTLE_S = 60.0


@dataclass(kw_only=True)
class Outcome:
    fault: str
    store: str
    sent: int
    applied: int
    poisons: int
    dead_lettered: int
    good_dead_lettered: int  # dead letters of valid events: must be 0
    lost: int  # must be 0
    missing_poisons: list[str]  # names of the poisons without a dead letter
    unapplied: list[str]  # where the first valid events neither applied nor lettered came from
    lost_with_broker: int  # broker-replace: sent to the old broker, never read from it
    exact: bool
    expected: str
    observed: str
    worker_alive: bool  # it never exited by itself
    resume_s: float | None
    largest_dead_letter_bytes: int
    commits_ahead_of_dead_letters: int  # poisons below a committed offset without a letter
    store_retries: float | None  # from the worker's /metrics (the restarted one's)
    delivery_retries: float | None
    letters_pending_at_fault: float | None  # broker faults: dead letters not yet acknowledged
    took_s: float


def traffic(n: int, *, seed: int) -> list[Record]:
    """`n` simulator events, the hostile valid ones and one of every poison, interleaved."""
    sim = Traffic(seed=seed)
    normal = [record_of(ev) for ev in (sim.next() for _ in range(n)) if isinstance(ev, dict)]
    hostile = [record_of(ev, null_key=i % 7 == 0) for i, ev in enumerate(hostile_events())]
    special = [*hostile, *poisons()]
    random.Random(seed).shuffle(special)  # poisons in the first half and in the second
    return interleave(normal, special, seed=seed)


def padding(ends: dict[tuple[str, int], int], *, seed: int) -> list[Record]:
    """Valid events filling each partition of a new, empty broker up to the offsets the old
    one had reached. A consumer keeps its position when a broker loses its log, and no check
    in aiokafka (it has no KIP-320 truncation detection) tells it that offsets below it are
    new records: after the padding, everything owed lies past its position. The padding is
    not owed (read or skipped), but the store must still equal the lake with it."""
    need = {tp: n for tp, n in ends.items() if n > 0}
    sim, out = Traffic(seed=seed + 1), []
    while need:
        ev = sim.next()
        if not isinstance(ev, dict):
            continue
        rec = record_of(ev)
        tp = next((tp for tp in need if tp[0] == rec.topic), None)
        if tp is None:
            continue
        out.append(dataclasses.replace(rec, partition=tp[1]))
        need[tp] -= 1
        if not need[tp]:
            del need[tp]
    return out


async def _progress_after(store: OnlineStore, since: float, timeout_s: float = 60.0) -> float:
    """Seconds from `since` until the store's event count moves."""
    base = await ledger.events_applied(store)
    while time.monotonic() - since < timeout_s:
        now = await ledger.events_applied(store)
        if base < 0 <= now:
            base = now
        elif now > base >= 0:
            return time.monotonic() - since
        await asyncio.sleep(0.02)
    raise TimeoutError("the worker made no progress")


async def scenario(fault: str, *, broker: EmbeddedBroker, tmp: Path, store: str = "redis",
                   events: int = 6000, say: Say = lambda line: None) -> Outcome:
    """Run one fault against a fresh worker on `broker` (its own broker: scenarios count
    every record on the topics) and a fresh store in `tmp`."""
    started = time.monotonic()
    records = traffic(events, seed=len(fault))
    half = len(records) // 2
    redis = (RedisServer(directory=tmp / "redis", persistent=True).start()
             if store == "redis" else None)
    worker = Worker(bootstrap=broker.bootstrap, data_dir=tmp, redis_url=redis.url if redis else "",
                    app_id=f"chaos-{fault}-{uuid.uuid4().hex[:6]}")
    reader = open_store(redis.url if redis else f"sqlite:///{tmp}/online.db")
    stage = Stage(broker=broker, worker=worker, store=reader, redis=redis, say=say)
    replaced = fault == "broker-replace"
    try:
        first = await asyncio.to_thread(ledger.produce, broker.bootstrap, records[:half])
        say(f"{fault}: {len(first)} records sent, worker starting")
        worker.start()
        await _mid_stream(stage)
        rest = records[half:]
        producing = (None if replaced else asyncio.create_task(asyncio.to_thread(
            ledger.produce, broker.bootstrap, rest, per_s=1500.0)))
        resume_s: float | None = None
        extra: list[Sent] = []
        padded: list[Sent] = []
        inject = INJECT[fault]
        if inject is not None:
            await asyncio.sleep(0.3)
            say(f"{fault}: injecting the fault")
            back, extra = await inject(stage)
            if replaced:  # the second half goes to the new broker, past the old offsets
                padded = await asyncio.to_thread(ledger.produce, broker.bootstrap, padding(
                    ledger.ends(first + extra), seed=len(fault)))
                producing = asyncio.create_task(asyncio.to_thread(
                    ledger.produce, broker.bootstrap, rest, per_s=1500.0))
            say(f"{fault}: dependency back (worker alive meanwhile: {stage.alive_during}), "
                "waiting for progress")
            resume_s = await _progress_after(reader, back)
            say(f"{fault}: progress {resume_s:.2f} s after it came back")
        second = await producing if producing is not None else []
        return await _settle(stage, fault=fault, store=store, first=first + extra,
                             second=second, padded=padded, replaced=replaced,
                             resume_s=resume_s, started=started)
    finally:
        worker.stop()
        await reader.close()
        if redis is not None:
            redis.stop()


async def _mid_stream(stage: Stage) -> None:
    deadline = time.monotonic() + 60
    while await ledger.events_applied(stage.store) < 500:
        if time.monotonic() > deadline or not stage.worker.alive():
            raise TimeoutError("the worker did not start processing")
        await asyncio.sleep(0.05)


async def _settle(stage: Stage, *, fault: str, store: str, first: list[Sent],
                  second: list[Sent], padded: list[Sent], replaced: bool,
                  resume_s: float | None, started: float) -> Outcome:
    """Wait until everything sent is applied or dead-lettered (or `SETTLE_S` passed), then
    account for it. After `broker-replace`, only what the new broker holds past the padding
    is owed."""
    owed = second if replaced else first + second
    ids, want = ledger.valid_ids(owed), ledger.expected(owed)
    poison = {s.source: s for s in owed if s.record.poison is not None}
    good = {s.source: s for s in owed if s.record.poison is None}
    products = set(ledger.expected(first + second + padded).stock)
    bootstrap, group = stage.broker.bootstrap, stage.worker.app_id
    ahead: set[ledger.Source] = set()
    deadline = time.monotonic() + SETTLE_S
    while True:
        commits = ({} if replaced else
                   await asyncio.to_thread(ledger.committed, bootstrap, group))
        try:
            letters = await asyncio.to_thread(ledger.dead_letters, bootstrap)
        except TimeoutError:  # a partition not served yet (a replaced broker): not settled
            letters = []
        got = ledger.lettered(poison, letters)
        ahead |= {src for src in poison if src not in got
                  and src[2] < commits.get((src[0], src[1]), -1)}
        lake = await asyncio.to_thread(ledger.recount, stage.worker.data_dir / "lake")
        try:
            seen = await ledger.observe(stage.store, products)
        except Exception:  # the store restarting: not settled yet
            seen = ledger.Totals()
        applied, dead = ids & lake.ids, poison.keys() & got
        exact = seen == lake.totals and (replaced or seen == want)
        done = applied == ids and dead == poison.keys() and exact
        stage.say(f"{fault}: applied {len(applied)}/{len(ids)}, dead-lettered "
                  f"{len(dead)}/{len(poison)}, exact {exact}")
        if done or time.monotonic() > deadline or not stage.worker.alive():
            break
        await asyncio.sleep(0.5)
    return Outcome(
        fault=fault, store=store, sent=len(ids), applied=len(applied), poisons=len(poison),
        dead_lettered=len(dead), good_dead_lettered=len(ledger.lettered(good, letters)),
        lost=len(ids) - len(applied) + len(poison) - len(dead),
        unapplied=sorted(f"{s.source} {s.record.event and s.record.event['event_type']}"
                         for s in good.values() if s.record.event is not None
                         and s.record.event["event_id"] not in lake.ids)[:10],
        missing_poisons=sorted(str(poison[src].record.poison) for src in poison.keys() - dead),
        lost_with_broker=len(ledger.valid_ids(first) - lake.ids) if replaced else 0,
        exact=exact, expected=str(want if not replaced else lake.totals), observed=str(seen),
        worker_alive=stage.alive_during and stage.worker.alive(),
        resume_s=None if resume_s is None else round(resume_s, 3),
        largest_dead_letter_bytes=max((d["_bytes"] for d in letters), default=0),
        commits_ahead_of_dead_letters=len(ahead),
        store_retries=worker_metric(stage.worker, "agora_worker_store_retries_total"),
        delivery_retries=worker_metric(stage.worker, "agora_worker_delivery_retries_total"),
        letters_pending_at_fault=stage.letters_pending,
        took_s=round(time.monotonic() - started, 1))


def plot(outcomes: list[Outcome], path: Path | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = path or PLOTS / "bench-chaos.png"
    names = [o.fault for o in outcomes]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = range(len(outcomes))
    w = 0.27
    for n, (label, values) in enumerate((
            ("valid events sent", [o.sent for o in outcomes]),
            ("applied", [o.applied for o in outcomes]),
            ("poisons dead-lettered", [o.dead_lettered for o in outcomes]))):
        left.bar([x + n * w for x in xs], values, w, label=label)
    for x, o in zip(xs, outcomes, strict=True):
        left.annotate(f"lost {o.lost}", (x + w, max(o.sent, 1)), ha="center",
                      xytext=(0, 4), textcoords="offset points", fontsize=8)
    left.set_xticks([x + w for x in xs], names, fontsize=8)
    left.set_yscale("log")
    left.set_ylim(1, 5 * max(o.sent for o in outcomes))
    left.set_title("records per scenario")
    left.legend(fontsize=7, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.25))
    resumes = [o.resume_s for o in outcomes]
    right.bar(list(xs), [r or 0.0 for r in resumes], color="tab:orange")
    for x, r in zip(xs, resumes, strict=True):
        right.annotate("no fault" if r is None else f"{r:.2f} s", (x, r or 0.0), ha="center",
                       xytext=(0, 3), textcoords="offset points", fontsize=8)
    right.set_xticks(list(xs), names, fontsize=8)
    right.set_title(f"seconds to progress once the dependency is back ({DOWN_S:g} s down)",
                    fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
    return path


def run_all(faults: list[str], events: int) -> list[Outcome]:
    out = []
    for fault in faults:
        with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(port=free_port()) as broker:
            outcome = asyncio.run(scenario(fault, broker=broker, tmp=Path(tmp), events=events,
                                           say=lambda line: print(line, flush=True)))
        print(f"{fault}: {asdict(outcome)}", flush=True)
        out.append(outcome)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", nargs="+", choices=FAULTS, default=list(FAULTS))
    parser.add_argument("--events", type=int, default=6000)
    args = parser.parse_args()
    outcomes = run_all(args.faults, args.events)
    result: dict[str, Any] = {
        "command": "python -m bench.chaos", "down_s": DOWN_S, "events": args.events,
        "scenarios": [asdict(o) for o in outcomes]}
    write_result("chaos", result)
    plot(outcomes)


def replot() -> None:
    """The plot again from bench/results/chaos.json (no run)."""
    import json

    from bench.report import RESULTS

    data = json.loads((RESULTS / "chaos.json").read_text())
    plot([Outcome(**o) for o in data["scenarios"]])


if __name__ == "__main__":
    main()
