"""Live inventory: on-hand per product, sales velocity and low-stock alerts.

Keys (ids escaped in braces, `features.keys`; every key of a product shares its hash tag):
- `inv:{<product_id>}` hash: `on_hand` (sum of `inventory_adjusted` deltas, once per event
  id), `sold` (units ordered, once per event id), `low` (1 while an alert is open), `gen`
  (alerts cleared so far: the claim of the next crossing), optional `threshold` override.
- `inv:sold:{<product_id>}:<day>` hash, field `units`: units ordered that day (velocity).
- `alerts:lowstock` scored set: open alerts, product → time of the alert (capped).
- `alerts:lowstock:{<product_id>}` hash: the open alert's on_hand, threshold and time.
- `alerts:lowstock:ack` scored set: alerts acknowledged by ops, product → time (capped).
- `outbox:lowstock:{<product_id>}` hash: alert messages written with their claim and not yet
  delivered to `alerts.inventory` (agents.outbox).
- claims `once:lowstock:{<product_id>}:<gen>` (open) and `once:lowstock:clear:{…}:<gen>`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from features.buckets import DAY_S
from features.keys import tag
from features.online import OnlineStore, SetScores, WriteBatch

LOW_STOCK_KEY = "alerts:lowstock"
LOW_STOCK_ACK_KEY = "alerts:lowstock:ack"
SOLD_TTL_S = 3 * DAY_S
# Open and acknowledged alerts kept in the indexes: a screenful many times over.
INDEX_CAP = 10_000
CLAIM_TTL_S = 30 * DAY_S  # a crossing alerts once within this, and its message is retried


def inventory_key(product_id: str) -> str:
    return "inv:" + tag(product_id)


def sold_key(product_id: str, day: int) -> str:
    return f"inv:sold:{tag(product_id)}:{day}"


def alert_key(product_id: str) -> str:
    return "alerts:lowstock:" + tag(product_id)


def lowstock_outbox_key(product_id: str) -> str:
    return "outbox:lowstock:" + tag(product_id)


def alert_claim(product_id: str, generation: int) -> str:
    """The `Once` token of the alert of a product's `generation`-th crossing."""
    return f"lowstock:{tag(product_id)}:{generation}"


def clear_claim(product_id: str, generation: int) -> str:
    return f"lowstock:clear:{tag(product_id)}:{generation}"


def velocity_per_day(today_units: float, yesterday_units: float, now: float) -> float:
    """Units per day over the last day and a bit: today so far plus yesterday, pro rata."""
    elapsed_today = (now % DAY_S) / DAY_S
    return (today_units + yesterday_units) / (1.0 + elapsed_today)


def low_stock_threshold(*, velocity: float, cover_days: float, min_units: int,
                        override: float | None = None) -> float:
    """Alert when on-hand falls below this: an explicit threshold, else N days of cover."""
    if override is not None:
        return override
    return float(max(min_units, math.ceil(velocity * cover_days)))


@dataclass(frozen=True, slots=True, kw_only=True)
class LowStockAlert:
    product_id: str
    on_hand: int
    threshold: float
    alerted_at: float
    acknowledged: bool


async def on_hand(store: OnlineStore, product_id: str) -> int | None:
    fields = await store.get_fields(inventory_key(product_id))
    return int(float(fields["on_hand"])) if "on_hand" in fields else None


async def low_stock_alerts(store: OnlineStore, k: int = 50) -> list[LowStockAlert]:
    """Open low-stock alerts, newest first."""
    open_ = await store.top(LOW_STOCK_KEY, k)
    acked = {m for m, _ in await store.top(LOW_STOCK_ACK_KEY, 10_000)}
    details = await store.get_many([alert_key(p) for p, _ in open_])
    return [
        LowStockAlert(product_id=p, on_hand=int(float(d.get("on_hand", 0))),
                      threshold=float(d.get("threshold", 0)), alerted_at=at,
                      acknowledged=p in acked)
        for (p, at), d in zip(open_, details, strict=True)
    ]


async def acknowledge_low_stock(store: OnlineStore, product_id: str, now: float) -> None:
    """Ops saw the alert; it stays open until a restock clears it."""
    batch = WriteBatch()
    batch.add(SetScores(key=LOW_STOCK_ACK_KEY, scores={product_id: now}, keep=INDEX_CAP))
    await store.apply(batch)
