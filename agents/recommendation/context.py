"""The recommendation context: impressions and clicks → click-through per model and variant,
and what each user was served lately.

Model and variant names come from events: they are bounded (`features.recommendations`)
before they become counter fields, and the counters stay in the minute hashes (the dashboard)
and the hour hashes (the A/B test's arms), both with a TTL, never in the all-time totals.
A served list's items go to the user's `rec:served` list (the rotation penalty); a list's
first click is claimed once, so the arms count clicked lists (Bernoulli trials) beside clicks.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from agents.context import PlainContext
from features import kpis as k
from features.buckets import minute_of
from features.online import IncrFields, Once, OnlineStore, PushRecent, SetFields, WriteBatch
from features.recommendations import (
    ARM_TTL_S,
    REQUEST_TTL_S,
    SERVED_MAX,
    SERVED_TTL_S,
    UNKNOWN,
    ModelLabels,
    arm_field,
    arm_key,
    click_token,
    hour_of,
    model_name,
    request_key,
    served_entry,
    served_key,
    variant_label,
)

CACHE_MAX = 200_000


def recommendation_writes(events: Sequence[Any], *, served: Mapping[str, tuple[str, str]],
                          batch: WriteBatch, labels: ModelLabels,
                          hourly: ModelLabels | None = None) -> None:
    hourly = hourly or ModelLabels()
    counts: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    arms: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ev in events:
        ts = ev.occurred_at.timestamp()
        minute, hour = minute_of(ts), hour_of(ts)
        if ev.event_type == "recommendation_served":
            model, variant = labels.label(ev.model, minute), variant_label(ev.variant)
            counts[minute][k.rec_field("served", model, variant)] += 1
            counts[minute][k.rec_field("impressions", model, variant)] += len(ev.items)
            arm = hourly.label(ev.model, hour)
            arms[hour][arm_field("served", arm, variant)] += 1
            arms[hour][arm_field("impressions", arm, variant)] += len(ev.items)
            batch.add(SetFields(key=request_key(ev.request_id), ttl_s=REQUEST_TTL_S, values={
                "model": model_name(ev.model), "variant": variant, "surface": ev.surface}))
            if ev.user_id is not None and ev.items:
                batch.add(PushRecent(key=served_key(ev.user_id), max_len=SERVED_MAX,
                                     ttl_s=SERVED_TTL_S,
                                     values=[served_entry(ts, i) for i in ev.items]))
        else:
            model, variant = served.get(ev.request_id, (UNKNOWN, UNKNOWN))
            variant = variant_label(variant)
            counts[minute][k.rec_field("clicks", labels.label(model, minute), variant)] += 1
            arm = hourly.label(model, hour)
            arms[hour][arm_field("clicks", arm, variant)] += 1
            batch.add(Once(token=click_token(ev.request_id), ttl_s=REQUEST_TTL_S, writes=[
                IncrFields(key=arm_key(hour), deltas={arm_field("clicked", arm, variant): 1},
                           ttl_s=ARM_TTL_S)]))
    for minute, fields in counts.items():
        batch.add(IncrFields(key=k.stats_key(minute), deltas=dict(fields), ttl_s=k.STATS_TTL_S))
    for hour, fields in arms.items():
        batch.add(IncrFields(key=arm_key(hour), deltas=dict(fields), ttl_s=ARM_TTL_S))


class RecommendationContext(PlainContext):
    name = "recommendation"

    def __init__(self) -> None:
        self.served: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.labels = ModelLabels()
        self.hourly = ModelLabels()  # the hour hashes' own bound, 16 models per hour

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
        recommendation_writes(events, served=self.served, batch=batch, labels=self.labels,
                              hourly=self.hourly)
