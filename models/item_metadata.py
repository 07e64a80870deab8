"""Item texts and categories derived from catalogue-like events in the lake."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from contracts.registry import EVENTS, Registry
from features.lake import records

TEXT_FIELDS = ("title", "description", "body", "text", "category")
CATEGORY_FIELDS = {"product_viewed": "category", "post_created": "community_id",
                   "episode_published": "show_id"}
FIELDS = (*TEXT_FIELDS, "tags", *CATEGORY_FIELDS.values())  # the lake columns read here


def item_texts(raw: pd.DataFrame, registry: Registry = EVENTS) -> dict[str, str]:
    """Concatenated titles, descriptions, bodies, tags and review texts per item id."""
    parts: dict[str, list[str]] = defaultdict(list)
    wanted = raw[raw["event_type"].isin(
        ["post_created", "episode_published", "review_posted", "product_viewed"])]
    wanted = wanted[~_repeated(wanted)]  # a product's every view repeats its category
    for item, fields in zip(wanted["item_id"], records(wanted, registry), strict=True):
        if item is None:
            continue
        text = " ".join(str(fields[f]) for f in TEXT_FIELDS if fields.get(f))
        tags = " ".join(str(t) for t in fields.get("tags", ()) or ())
        joined = f"{text} {tags}".strip()
        if joined and joined not in parts[str(item)]:
            parts[str(item)].append(joined)
    return {item: " ".join(texts) for item, texts in parts.items()}


def item_categories(raw: pd.DataFrame, registry: Registry = EVENTS) -> dict[str, str]:
    """The category of each product (from views), community of posts, show of episodes."""
    keys = CATEGORY_FIELDS
    out: dict[str, str] = {}
    wanted = raw[raw["event_type"].isin(list(keys))]
    wanted = wanted[~wanted["item_id"].duplicated(keep="last")]  # the last value wins
    for item, kind, fields in zip(wanted["item_id"], wanted["event_type"],
                                  records(wanted, registry), strict=True):
        value = fields.get(keys[str(kind)])
        if item is not None and value is not None:
            out[str(item)] = str(value)
    return out


def _repeated(frame: pd.DataFrame) -> pd.Series:
    """Rows whose item and text fields an earlier row already had (they add no text)."""
    key = frame[["item_id", *(f for f in TEXT_FIELDS if f in frame.columns)]].astype(str)
    if "tags" in frame.columns:
        key = key.assign(tags=frame["tags"].map(_words))
    return key.duplicated()


def _words(tags: object) -> str:
    return " ".join(map(str, tags)) if isinstance(tags, (list, tuple, np.ndarray)) else ""
