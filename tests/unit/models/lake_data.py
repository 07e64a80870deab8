"""Tiny lakes written in code with the lake's own writer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from features.lake import lake_row, write_rows

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def event(event_type: str, user: str | None, at: datetime, item: str | None,
          **fields: Any) -> dict[str, Any]:
    body = {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": at.isoformat(), "user_id": user, "session_id": None,
            "schema_version": 1, **fields}
    return lake_row(body, item)


def small_lake(root: Path, *, days: int = 10, users: int = 12) -> Path:
    """Views, carts, orders, posts, votes and plays over `days` days."""
    rows = []
    for d in range(days):
        at = T0 + timedelta(days=d, hours=1)
        for u in range(users):
            p = (u + d) % 6
            rows.append(event("product_viewed", f"u{u}", at, f"product:p{p}", product_id=f"p{p}",
                              category=f"c{p % 2}", price=9.5))
            if u % 3 == 0:
                rows.append(event("order_placed", f"u{u}", at + timedelta(minutes=5), None,
                                  order_id=f"o{d}{u}", total=19.0, currency="EUR",
                                  lines=[{"product_id": f"p{p}", "quantity": 1,
                                          "unit_price": 9.5},
                                         {"product_id": f"p{(p + 1) % 6}", "quantity": 1,
                                          "unit_price": 9.5}]))
            rows.append(event("episode_played", f"u{u}", at + timedelta(minutes=9),
                              f"episode:e{u % 4}", episode_id=f"e{u % 4}", show_id="s1",
                              position_s=100.0 if u % 2 else 10.0, duration_s=100.0))
        rows.append(event("post_created", f"u{d % users}", at, f"post:q{d}", post_id=f"q{d}",
                          community_id="c1", title=f"brewing question {d}", body="hops",
                          tags=["ipa"]))
        rows.append(event("vote_cast", f"u{(d + 1) % users}", at + timedelta(minutes=1),
                          f"post:q{d}", target_id=f"q{d}", target_type="post", value=1))
    write_rows(root, rows)
    return root
