"""The commerce context: KPIs, exact orders and inventory, low-stock alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from agents.commerce.logic import StockDecision, commerce_writes, stock_decisions, touched_products
from agents.context import Outbound, PlainContext
from contracts.topics import Topic
from features import kpis as k
from features.buckets import day_of, minute_of
from features.inventory import (
    LOW_STOCK_KEY,
    alert_key,
    clear_alert_writes,
    inventory_key,
    low_stock_threshold,
    sold_key,
    velocity_per_day,
)
from features.online import IncrFields, IncrScores, OnlineStore, SetFields, WriteBatch

CLAIM_TTL_S = 30 * 86_400.0


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

    async def after(self, events: Sequence[Any], store: OnlineStore,
                    now: float) -> tuple[WriteBatch, list[Outbound]]:
        batch, out = WriteBatch(), list[Outbound]()
        products = touched_products(events)
        if not products:
            return batch, out
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
            if d.action == "alert":
                if not await store.claim(f"lowstock:{d.product_id}:{d.generation}", CLAIM_TTL_S):
                    continue
                self._alert(d, now, batch)
            else:
                batch.add(SetFields(key=inventory_key(d.product_id), values={"low": "0"}))
                batch.add(IncrFields(key=inventory_key(d.product_id), deltas={"gen": 1}))
                for w in clear_alert_writes(d.product_id):
                    batch.add(w)
            out.append(Outbound(Topic.inventory_alerts, d.product_id.encode(), orjson.dumps({
                "alert": "low_stock", "status": "open" if d.action == "alert" else "cleared",
                "product_id": d.product_id, "on_hand": d.on_hand, "threshold": d.threshold,
                "alert_id": f"{d.product_id}:{d.generation}", "at": now})))
        return batch, out

    @staticmethod
    def _alert(d: StockDecision, now: float, batch: WriteBatch) -> None:
        batch.add(SetFields(key=inventory_key(d.product_id), values={"low": "1"}))
        batch.add(IncrScores(key=LOW_STOCK_KEY, deltas={d.product_id: now}))
        batch.add(SetFields(key=alert_key(d.product_id), values={
            "on_hand": d.on_hand, "threshold": d.threshold, "at": now}))
        batch.add(IncrFields(key=k.stats_key(minute_of(now)), deltas={k.LOW_STOCK_ALERTS: 1},
                             ttl_s=k.STATS_TTL_S))
