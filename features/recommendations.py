"""Recommendation feedback: which model and variant served a request, with bounded labels.

- `rec:req:{<request_id>}` hash: `model`, `variant`, `surface` of a served request, so a
  click a day later is counted for what served it.
- `rec|<metric>|<model>|<variant>` fields of the minute hashes (`features.kpis`): the
  dashboard's last 15 minutes.
- `rec:h:<hour>` hashes, fields `<metric>|<model>|<variant>` (`served`, `clicked`: lists
  with at least one click, `clicks`, `impressions`), kept 30 days: the A/B test's arms over
  the hours both ran (`arm_counts`); a list's first click is claimed once
  (`Once` on `click_token`), so `clicked` counts lists, not clicks.
- `rec:served:{<user_id>}` list: the items last served to the user, newest first, as
  `<ts>\t<item_id>`, capped at `SERVED_MAX` and kept a day, for the rotation penalty
  (`recently_served`).

Model and variant names arrive in events, so they are bounded before they become hash
fields (and, through the overview, Prometheus labels): variants are a closed set, and each
minute counts at most `MODELS_PER_MINUTE` model labels per worker; a name outside the pattern
or past the cap is counted as `other`.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence

from features.keys import OTHER, tag
from features.online import OnlineStore

REQUEST_TTL_S = 86_400.0
VARIANTS = frozenset({"champion", "challenger", "fallback", "unknown"})
UNKNOWN = "unknown"
MODELS_PER_MINUTE = 16
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}")
_MINUTES_KEPT = 256


ARM_TTL_S = 30 * 86_400.0
ARM_METRICS = ("served", "clicked", "clicks", "impressions")
SERVED_MAX = 200
SERVED_TTL_S = 86_400.0


def request_key(request_id: str) -> str:
    return "rec:req:" + tag(request_id)


def arm_key(hour: int) -> str:
    return f"rec:h:{hour}"


def arm_field(metric: str, model: str, variant: str) -> str:
    return f"{metric}|{model}|{variant}"


def click_token(request_id: str) -> str:
    """The `Once` token of a list's first click: a digest, so on a Redis Cluster, where the
    claim and the hour hash live in different slots, it splits like an event id's token."""
    return "click-" + hashlib.blake2b(request_id.encode(), digest_size=16).hexdigest()


def served_key(user_id: str) -> str:
    return "rec:served:" + tag(user_id)


def hour_of(ts: float) -> int:
    return int(ts // 3600)


def served_entry(ts: float, item_id: str) -> str:
    return f"{ts:.0f}\t{item_id}"


async def recently_served(store: OnlineStore, user_id: str, *, since: float,
                          n: int = SERVED_MAX) -> frozenset[str]:
    """The items served to the user since `since` (epoch seconds), one round trip."""
    out = set()
    for values in await store.recent_many([served_key(user_id)], n):
        for raw in values:
            ts, _, item = raw.partition("\t")
            try:
                if item and float(ts) >= since:
                    out.add(item)
            except ValueError:
                continue
    return frozenset(out)


Arms = dict[tuple[str, str], dict[str, float]]


async def arm_counts(store: OnlineStore, hours: Sequence[int]) -> dict[int, Arms]:
    """Per hour, each (model, variant)'s `ARM_METRICS`, one round trip."""
    out: dict[int, Arms] = {}
    for hour, row in zip(hours, await store.get_many([arm_key(h) for h in hours]),
                         strict=True):
        arms: Arms = defaultdict(lambda: dict.fromkeys(ARM_METRICS, 0.0))
        for field, value in row.items():
            metric, _, rest = field.partition("|")
            model, _, variant = rest.rpartition("|")
            if metric in ARM_METRICS and model:
                arms[(model, variant)][metric] += float(value)
        out[hour] = dict(arms)
    return out


def variant_label(variant: str) -> str:
    return variant if variant in VARIANTS else OTHER


def model_name(model: str) -> str:
    """`model` if it looks like a registry label (`name@version`, at most 64 characters)."""
    return model if _MODEL.fullmatch(model) else OTHER


class ModelLabels:
    """The first `per_minute` model names of each minute keep their label; later ones are
    `other` (a flood of invented names cannot grow a minute's hash past the cap)."""

    def __init__(self, *, per_minute: int = MODELS_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._seen: dict[int, set[str]] = {}

    def label(self, model: str, minute: int) -> str:
        name = model_name(model)
        if name == OTHER:
            return OTHER
        seen = self._seen.get(minute)
        if seen is None:
            if len(self._seen) >= _MINUTES_KEPT:
                del self._seen[min(self._seen)]
            seen = self._seen[minute] = set()
        if name in seen:
            return name
        if len(seen) >= self.per_minute:
            return OTHER
        seen.add(name)
        return name
