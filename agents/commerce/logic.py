"""Commerce: orders, GMV, payments and inventory exactly once per event id; the rest counted.

Pure functions: a batch of valid events in, store writes out. Money is kept in integer cents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents.activity.logic import counter_writes
from contracts import EVENTS, EventDomain
from features import kpis as k
from features.buckets import day_of, minute_of
from features.inventory import SOLD_TTL_S, inventory_key, sold_key
from features.online import Exact, IncrFields, Once, WriteBatch

# The commerce events counted approximately (declared `counter`); the rest exactly, or not.
APPROX_FIELD = EVENTS.counters(EventDomain.commerce)


def cents(amount: float) -> int:
    return round(amount * 100)


def exact_writes(ev: Any) -> list[Exact]:
    """The writes an event makes exactly once (empty for events counted approximately)."""
    ts = ev.occurred_at.timestamp()
    minute_key = k.stats_key(minute_of(ts))
    t = ev.event_type
    fields: dict[str, float]
    extra: list[Exact] = []
    if t == "order_placed":
        units = sum(line.quantity for line in ev.lines)
        fields = {k.ORDERS: 1, k.GMV_CENTS: cents(ev.total), k.UNITS: units}
        per_product: dict[str, int] = defaultdict(int)
        for line in ev.lines:
            per_product[line.product_id] += line.quantity
        for pid, qty in per_product.items():
            extra.append(IncrFields(key=inventory_key(pid), deltas={"sold": qty}))
            extra.append(IncrFields(key=sold_key(pid, day_of(ts)), deltas={"units": qty},
                                    ttl_s=SOLD_TTL_S))
    elif t == "payment_succeeded":
        fields = {k.PAYMENTS_OK: 1}
    elif t == "payment_failed":
        fields = {k.PAYMENTS_FAILED: 1}
    elif t == "order_cancelled":
        fields = {k.CANCELLED: 1}
    elif t == "inventory_adjusted":
        return [IncrFields(key=inventory_key(ev.product_id), deltas={"on_hand": ev.delta})]
    else:
        return []
    return [IncrFields(key=minute_key, deltas=fields, ttl_s=k.STATS_TTL_S),
            IncrFields(key=k.TOTALS_KEY, deltas=fields), *extra]


def commerce_writes(events: Sequence[Any], *, batch: WriteBatch, once_ttl_s: float) -> None:
    counts: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ev in events:
        field = APPROX_FIELD.get(ev.event_type)
        if field is not None:
            counts[minute_of(ev.occurred_at.timestamp())][field] += 1
            continue
        writes = exact_writes(ev)
        if writes:
            batch.add(Once(token=str(ev.event_id), writes=writes, ttl_s=once_ttl_s))
    counter_writes(counts, batch)


def touched_products(events: Sequence[Any]) -> list[str]:
    """Products whose on-hand may have moved (for the low-stock check after the write)."""
    return sorted({ev.product_id for ev in events if ev.event_type == "inventory_adjusted"})


@dataclass(frozen=True, slots=True)
class StockDecision:
    product_id: str
    action: str  # "alert" or "clear"
    on_hand: int
    threshold: float
    generation: int


def stock_decisions(rows: Mapping[str, tuple[Mapping[str, str], float]],
                    ) -> list[StockDecision]:
    """`rows`: product -> (its inventory hash, its threshold). Alert on a downward crossing
    not yet alerted; clear an open alert once stock is back at or above the threshold."""
    out = []
    for pid, (inv, threshold) in sorted(rows.items()):
        if "on_hand" not in inv:
            continue
        on_hand = int(float(inv["on_hand"]))
        is_low = inv.get("low") == "1"
        gen = int(float(inv.get("gen", 0)))
        if on_hand < threshold and not is_low:
            out.append(StockDecision(pid, "alert", on_hand, threshold, gen))
        elif on_hand >= threshold and is_low:
            out.append(StockDecision(pid, "clear", on_hand, threshold, gen))
    return out
