"""The commerce context: KPIs, exact orders and inventory, low-stock alerts.

A low-stock crossing is claimed once per product and generation (`once:lowstock:{P}:<gen>`),
atomically with its effect on the product and its pending message (agents.outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from agents.commerce.logic import StockDecision, commerce_writes, stock_decisions, touched_products
from agents.context import Decisions, PlainContext
from agents.outbox import Pending, pending_record
from contracts.topics import Topic
from features import kpis as k
from features.buckets import day_of, minute_of
from features.inventory import (
    CLAIM_TTL_S,
    INDEX_CAP,
    LOW_STOCK_ACK_KEY,
    LOW_STOCK_KEY,
    alert_claim,
    alert_key,
    clear_claim,
    inventory_key,
    low_stock_threshold,
    lowstock_outbox_key,
    sold_key,
    velocity_per_day,
)
from features.online import (
    Delete,
    Effect,
    IncrFields,
    Once,
    OnlineStore,
    Remove,
    SetFields,
    SetScores,
    WriteBatch,
)


class CommerceContext(PlainContext):
    name = "commerce"

    def __init__(self, *, once_ttl_s: float, cover_days: float, min_units: int,
                 thresholds: dict[str, float]) -> None:
        self.once_ttl_s = once_ttl_s
        self.cover_days = cover_days
        self.min_units = min_units
        self.thresholds = thresholds

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        commerce_writes(events, batch=batch, once_ttl_s=self.once_ttl_s)

    async def after(self, events: Sequence[Any], store: OnlineStore, now: float) -> Decisions:
        products = touched_products(events)
        decided = Decisions(outboxes=[lowstock_outbox_key(p) for p in products])
        if not products:
            return decided
        today = day_of(now)
        keys = [key for p in products
                for key in (inventory_key(p), sold_key(p, today), sold_key(p, today - 1))]
        rows = await store.get_many(keys)
        state = {}
        for i, pid in enumerate(products):
            inv, t0, t1 = rows[3 * i: 3 * i + 3]
            override = inv.get("threshold") or self.thresholds.get(pid)
            velocity = velocity_per_day(float(t0.get("units", 0)), float(t1.get("units", 0)), now)
            state[pid] = (inv, low_stock_threshold(
                velocity=velocity, cover_days=self.cover_days, min_units=self.min_units,
                override=float(override) if override is not None else None))
        for d in stock_decisions(state):
            decided.writes.add(self._claimed(d, now))
        return decided

    @staticmethod
    def _claimed(d: StockDecision, now: float) -> Once:
        """The crossing's claim, its effects on the product and its message, as one write on
        keys sharing the product's hash tag."""
        pid, gen, opens = d.product_id, d.generation, d.action == "alert"
        message = orjson.dumps({
            "alert": "low_stock", "status": "open" if opens else "cleared", "product_id": pid,
            "on_hand": d.on_hand, "threshold": d.threshold, "alert_id": f"{pid}:{gen}",
            "at": now})
        # Ids sort as the product's messages happened: generation, then open before cleared.
        record = pending_record(outbox=lowstock_outbox_key(pid),
                                id=f"{gen:012d}:{0 if opens else 1}",
                                topic=Topic.inventory_alerts, key=pid.encode(), value=message)
        if opens:
            return Once(token=alert_claim(pid, gen), ttl_s=CLAIM_TTL_S, writes=[
                SetFields(key=inventory_key(pid), values={"low": "1"}),
                SetFields(key=alert_key(pid), values={
                    "on_hand": d.on_hand, "threshold": d.threshold, "at": now}),
                record])
        return Once(token=clear_claim(pid, gen), ttl_s=CLAIM_TTL_S, writes=[
            SetFields(key=inventory_key(pid), values={"low": "0"}),
            IncrFields(key=inventory_key(pid), deltas={"gen": 1}),
            Delete(key=alert_key(pid)),
            record])

    def settle(self, message: Pending, now: float) -> list[Effect]:
        """Delivered: the alert joins (or leaves) the dashboard's index, counted once."""
        body = orjson.loads(message.value)
        pid = body["product_id"]
        if body["status"] == "open":
            return [SetScores(key=LOW_STOCK_KEY, scores={pid: body["at"]}, keep=INDEX_CAP),
                    IncrFields(key=k.stats_key(minute_of(body["at"])),
                               deltas={k.LOW_STOCK_ALERTS: 1}, ttl_s=k.STATS_TTL_S)]
        return [Remove(key=LOW_STOCK_KEY, members=[pid]),
                Remove(key=LOW_STOCK_ACK_KEY, members=[pid])]
