"""Generated traffic shaped like a shop's, for the cost curves (bench/scale.py).

Item popularity is Zipf (weight 1 / (rank + 10) ** 1.05: the head item draws about 1.6% of
the events, the top 1% of items about 40%); per-user activity is
heavy-tailed too (log-normal session counts, sigma 1.4, a user's sessions capped at 400),
and events come in sessions: a session is 1 to 30 events (geometric, mean 5) by one user
inside one category, the items drawn by popularity within it. 94% of the events are views,
5% cart adds, 1% orders (one line each). Everything is vectorised numpy: 20M events generate
in seconds, so the generator never dominates a point.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from features.lake import schema_of
from features.lake.files import partition_dir, write_table
from models.interactions import Interactions

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
ITEMS_PER_CATEGORY = 200
EVENT_TYPES = ("product_viewed", "cart_item_added", "order_placed")
TYPE_SHARES = (0.94, 0.05, 0.01)
TYPE_WEIGHTS = (1.0, 3.0, 5.0)  # the weights these types declare (contracts/commerce.py)
WORDS = 4_000  # vocabulary of the generated item titles


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """One point's events as parallel arrays (user and item indices, seconds, type index)."""

    users: int
    items: int
    user: np.ndarray  # int32
    item: np.ndarray  # int32
    seconds: np.ndarray  # int64, since START
    kind: np.ndarray  # int8, index into EVENT_TYPES
    category: np.ndarray  # int32 per item

    @property
    def events(self) -> int:
        return len(self.user)

    def interactions(self, *, texts: bool = True) -> Interactions:
        """The weighted user x item matrix the models train on (the training set's weights
        summed per pair), with item categories and generated titles for content models."""
        weights = np.asarray(TYPE_WEIGHTS, dtype=np.float32)[self.kind]
        matrix = sp.csr_matrix((weights, (self.user, self.item)),
                               shape=(self.users, self.items), dtype=np.float32)
        matrix.sum_duplicates()
        active = np.flatnonzero(np.diff(matrix.indptr))  # users with no event are not rows
        matrix = matrix[active]
        item_ids = np.asarray([f"product:{i}" for i in range(self.items)], dtype=object)
        categories = {str(i): f"c{c}" for i, c in zip(item_ids, self.category, strict=True)}
        return Interactions(matrix=matrix,
                            user_ids=np.asarray([f"u{u}" for u in active], dtype=object),
                            item_ids=item_ids, item_categories=categories,
                            item_texts=titles(item_ids, self.category) if texts else {})


def generate(*, events: int, items: int, users: int, seed: int = 7) -> Traffic:
    rng = np.random.default_rng(seed)
    n_cats = max(items // ITEMS_PER_CATEGORY, 1)
    # items are laid out category by category, each category's items in popularity order,
    # so one searchsorted over a cumulative sum draws by popularity inside a category
    category = np.sort(rng.integers(0, n_cats, items)).astype(np.int32)
    popularity = 1.0 / (rng.permutation(items) + 10.0) ** 1.05
    cum = np.cumsum(popularity)
    starts = np.searchsorted(category, np.arange(n_cats))
    ends = np.append(starts[1:], items)
    low = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    cat_mass = cum[ends - 1] - low

    lengths = np.minimum(rng.geometric(0.2, size=events // 3 + 16), 30)
    lengths = lengths[:np.searchsorted(np.cumsum(lengths), events) + 1]
    lengths[-1] -= int(lengths.sum()) - events
    sessions = len(lengths)
    activity = rng.lognormal(0.0, 1.4, users)
    session_user = _assign(rng, sessions, users, activity, cap=400)
    session_cat = rng.choice(n_cats, size=sessions, p=cat_mass / cat_mass.sum())
    session_start = rng.integers(0, DAYS * 86_400 - 3_600, sessions)

    owner = np.repeat(np.arange(sessions), lengths)
    c = session_cat[owner]
    draw = low[c] + rng.random(events) * cat_mass[c]
    item = np.minimum(np.searchsorted(cum, draw), ends[c] - 1).astype(np.int32)
    step = np.arange(events) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    seconds = session_start[owner] + 30 * step
    kind = rng.choice(len(EVENT_TYPES), size=events, p=TYPE_SHARES).astype(np.int8)
    return Traffic(users=users, items=items, user=session_user[owner].astype(np.int32),
                   item=item, seconds=seconds.astype(np.int64), kind=kind, category=category)


def _assign(rng: np.random.Generator, sessions: int, users: int, activity: np.ndarray, *,
            cap: int) -> np.ndarray:
    """A user per session: every user one session first (while there are enough), the rest
    by activity, no user above `cap` sessions (a bot-like tail is not a shopper)."""
    first = rng.permutation(users)[:min(sessions, users)]
    rest = rng.choice(users, size=sessions - len(first), p=activity / activity.sum())
    owners = np.concatenate([first, rest])
    counts = np.bincount(owners, minlength=users)
    over = np.flatnonzero(counts > cap)
    if len(over):  # hand the excess of the heaviest users to random others
        excess = np.concatenate([np.flatnonzero(owners == u)[cap:] for u in over])
        owners[excess] = rng.integers(0, users, len(excess))
    return rng.permutation(owners)


def titles(item_ids: np.ndarray, category: np.ndarray) -> dict[str, str]:
    """A generated title per item: its category's two words plus four of its own."""
    rng = np.random.default_rng(11)
    words = rng.integers(0, WORDS, size=(len(item_ids), 4))
    return {str(i): f"w{c % WORDS} w{(c * 7 + 3) % WORDS} w{a} w{b} w{d} w{e}"
            for i, c, (a, b, d, e) in zip(item_ids, category.tolist(), words.tolist(),
                                          strict=True)}


def flushes(traffic: Traffic, *, flush_events: int = 200_000
            ) -> Iterator[list[tuple[str, str, pa.Table]]]:
    """The events in time order, `flush_events` at a time, each flush as the spool writes it:
    one (event date, event type, table of that type's lake columns) per partition touched."""
    order = np.argsort(traffic.seconds, kind="stable")
    for start in range(0, traffic.events, flush_events):
        chunk = order[start:start + flush_events]
        table = _table(traffic, chunk)
        days = pc.strftime(table["occurred_at"], format="%Y-%m-%d").to_numpy(
            zero_copy_only=False)
        kinds = traffic.kind[chunk]
        parts = []
        for day in np.unique(days):
            for k, event_type in enumerate(EVENT_TYPES):
                rows = np.flatnonzero((days == day) & (kinds == k))
                if len(rows):
                    schema = schema_of(event_type)
                    parts.append((str(day), event_type,
                                  table.take(pa.array(rows)).select(schema.names).cast(schema)))
        yield parts


def write_lake(traffic: Traffic, root: Path, *, flush_events: int = 200_000) -> int:
    """The events as the worker's lake holds them (features.lake's schema and layout): in
    time order, one file per event date and type per flush of `flush_events`, as the spool
    writes them. Returns the number of files."""
    files = 0
    for parts in flushes(traffic, flush_events=flush_events):
        for day, event_type, table in parts:
            write_table(partition_dir(root, day, event_type), table)
            files += 1
    return files


def _table(traffic: Traffic, rows: np.ndarray) -> pa.Table:
    """Every column any of the three types has (the lake's typed columns, features.lake)."""
    n = len(rows)
    kind = traffic.kind[rows]
    product = pa.array(traffic.item[rows]).cast(pa.string())
    user = pa.array(traffic.user[rows]).cast(pa.string())
    at = (np.datetime64(START.replace(tzinfo=None), "us")
          + traffic.seconds[rows].astype("timedelta64[s]")).astype("datetime64[us]")
    category = pa.array(traffic.category[traffic.item[rows]]).cast(pa.string())
    is_order = pa.array(kind == EVENT_TYPES.index("order_placed"))
    item = pc.binary_join_element_wise("product:", product, "")
    price = pa.array(np.full(n, 19.90))
    ones = pa.array(np.ones(n, dtype=np.int64))
    line = pa.StructArray.from_arrays([product, ones, price],
                                      names=["product_id", "quantity", "unit_price"])
    lines = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), line)
    return pa.table({
        "event_id": pc.binary_join_element_wise("e", pa.array(rows).cast(pa.string()), ""),
        "occurred_at": pa.array(at, type=pa.timestamp("us", tz="UTC")),
        "user_id": pc.binary_join_element_wise("u", user, ""),
        "session_id": pc.binary_join_element_wise(
            "s", user, "-", pa.array(traffic.seconds[rows] // 3_600).cast(pa.string()), ""),
        "schema_version": pa.array(np.ones(n, dtype=np.int16)),
        "item_id": pc.if_else(is_order, pa.nulls(n, pa.string()), item),
        "product_id": product, "category": pc.binary_join_element_wise("c", category, ""),
        "price": price, "quantity": ones, "unit_price": price,
        "order_id": pc.binary_join_element_wise("o", pa.array(rows).cast(pa.string()), ""),
        "lines": lines, "total": price, "currency": pa.array(["EUR"] * n),
        "payload": pa.nulls(n, pa.string()),
    })
