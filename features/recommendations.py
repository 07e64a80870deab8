"""Recommendation feedback: which model and variant served a request, with bounded labels.

- `rec:req:{<request_id>}` hash: `model`, `variant`, `surface` of a served request, so a
  click a day later is counted for what served it.
- `rec|<metric>|<model>|<variant>` fields of the minute hashes (`features.kpis`).

Model and variant names arrive in events, so they are bounded before they become hash
fields (and, through the overview, Prometheus labels): variants are a closed set, and each
minute counts at most `MODELS_PER_MINUTE` model labels per worker; a name outside the pattern
or past the cap is counted as `other`.
"""

from __future__ import annotations

import re

from features.keys import OTHER, tag

REQUEST_TTL_S = 86_400.0
VARIANTS = frozenset({"champion", "challenger", "fallback", "unknown"})
UNKNOWN = "unknown"
MODELS_PER_MINUTE = 16
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}")
_MINUTES_KEPT = 256


def request_key(request_id: str) -> str:
    return "rec:req:" + tag(request_id)


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
