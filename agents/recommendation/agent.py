"""The recommendation context: impressions and clicks → click-through per model and variant."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from agents.activity.logic import counter_writes
from agents.context import PlainContext
from features import kpis as k
from features.buckets import minute_of
from features.online import OnlineStore, SetFields, WriteBatch

REQUEST_TTL_S = 86_400.0
CACHE_MAX = 200_000
UNKNOWN = ("unknown", "unknown")


def request_key(request_id: str) -> str:
    return f"rec:req:{request_id}"


def recommendation_writes(events: Sequence[Any], *, served: Mapping[str, tuple[str, str]],
                          batch: WriteBatch) -> None:
    counts: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ev in events:
        minute = minute_of(ev.occurred_at.timestamp())
        if ev.event_type == "recommendation_served":
            counts[minute][k.rec_field("served", ev.model, ev.variant)] += 1
            counts[minute][k.rec_field("impressions", ev.model, ev.variant)] += len(ev.items)
            batch.add(SetFields(key=request_key(ev.request_id), ttl_s=REQUEST_TTL_S, values={
                "model": ev.model, "variant": ev.variant, "surface": ev.surface}))
        else:
            model, variant = served.get(ev.request_id, UNKNOWN)
            counts[minute][k.rec_field("clicks", model, variant)] += 1
    counter_writes(counts, batch)


class RecommendationContext(PlainContext):
    name = "recommendation"

    def __init__(self) -> None:
        self.served: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def _remember(self, request_id: str, pair: tuple[str, str]) -> None:
        self.served[request_id] = pair
        if len(self.served) > CACHE_MAX:
            self.served.popitem(last=False)

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        for ev in events:
            if ev.event_type == "recommendation_served":
                self._remember(ev.request_id, (ev.model, ev.variant))
        missing = sorted({ev.request_id for ev in events
                          if ev.event_type == "recommendation_clicked"
                          and ev.request_id not in self.served})
        for rid, row in zip(missing, await store.get_many([request_key(r) for r in missing]),
                            strict=True):
            if "model" in row:
                self._remember(rid, (row["model"], row.get("variant", "default")))

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        recommendation_writes(events, served=self.served, batch=batch)
