"""Moderation signals: a pluggable text scorer and the thresholds that raise a flag."""

from __future__ import annotations

import re
from typing import Protocol

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
_REPEAT = re.compile(r"(.)\1{5,}")
SPAM_WORDS = frozenset({"viagra", "casino", "crypto", "giveaway", "free money", "click here",
                        "buy now", "limited offer"})


class TextScorer(Protocol):
    def __call__(self, text: str) -> float:
        """0 (clean) to 1 (certainly spam or abuse)."""
        ...


def heuristic_scorer(text: str) -> float:
    """A transparent baseline: links, shouting, repeated characters, spam phrases."""
    if not text:
        return 0.0
    lowered = text.lower()
    score = 0.0
    score += min(0.5, 0.25 * len(_LINK.findall(text)))
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        score += 0.3
    if _REPEAT.search(text):
        score += 0.2
    score += min(0.6, 0.3 * sum(w in lowered for w in SPAM_WORDS))
    return min(score, 1.0)


def load_scorer(path: str) -> TextScorer:
    """`module:function` → the scorer (so a trained model can replace the heuristic)."""
    import importlib

    module, _, attr = path.partition(":")
    scorer: TextScorer = getattr(importlib.import_module(module), attr)
    return scorer
