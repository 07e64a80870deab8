"""The recommendation context: impressions and clicks → click-through per model and variant.

Model and variant names come from events: they are bounded (`features.recommendations`)
before they become counter fields, and the counters stay in the minute hashes (TTL), never
in the all-time totals.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from agents.context import PlainContext
from features import kpis as k
from features.buckets import minute_of
from features.online import IncrFields, OnlineStore, SetFields, WriteBatch
from features.recommendations import (
    REQUEST_TTL_S,
    UNKNOWN,
    ModelLabels,
    model_name,
    request_key,
    variant_label,
)

CACHE_MAX = 200_000


def recommendation_writes(events: Sequence[Any], *, served: Mapping[str, tuple[str, str]],
                          batch: WriteBatch, labels: ModelLabels) -> None:
    counts: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ev in events:
        minute = minute_of(ev.occurred_at.timestamp())
        if ev.event_type == "recommendation_served":
            model, variant = labels.label(ev.model, minute), variant_label(ev.variant)
            counts[minute][k.rec_field("served", model, variant)] += 1
            counts[minute][k.rec_field("impressions", model, variant)] += len(ev.items)
            batch.add(SetFields(key=request_key(ev.request_id), ttl_s=REQUEST_TTL_S, values={
                "model": model_name(ev.model), "variant": variant, "surface": ev.surface}))
        else:
            model, variant = served.get(ev.request_id, (UNKNOWN, UNKNOWN))
            counts[minute][k.rec_field("clicks", labels.label(model, minute),
                                       variant_label(variant))] += 1
    for minute, fields in counts.items():
        batch.add(IncrFields(key=k.stats_key(minute), deltas=dict(fields), ttl_s=k.STATS_TTL_S))


class RecommendationContext(PlainContext):
    name = "recommendation"

    def __init__(self) -> None:
        self.served: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.labels = ModelLabels()

    def _remember(self, request_id: str, pair: tuple[str, str]) -> None:
        self.served[request_id] = pair
        if len(self.served) > CACHE_MAX:
            self.served.popitem(last=False)

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        for ev in events:
            if ev.event_type == "recommendation_served":
                self._remember(ev.request_id, (model_name(ev.model), variant_label(ev.variant)))
        missing = sorted({ev.request_id for ev in events
                          if ev.event_type == "recommendation_clicked"
                          and ev.request_id not in self.served})
        for rid, row in zip(missing, await store.get_many([request_key(r) for r in missing]),
                            strict=True):
            if "model" in row:
                self._remember(rid, (row["model"], row.get("variant", UNKNOWN)))

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        recommendation_writes(events, served=self.served, batch=batch, labels=self.labels)
