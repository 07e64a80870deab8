"""The pure logic of the contexts, without a broker or a store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from agents.activity.logic import activity_writes
from agents.commerce.logic import commerce_writes, stock_decisions
from agents.community.logic import community_writes
from agents.community.moderation import heuristic_scorer
from agents.podcast.logic import podcast_writes
from contracts import EVENTS, parse_event
from features import kpis as k
from features.item_texts import text_key
from features.online import AddDistinct, IncrFields, Once, PushRecent, SetFields, WriteBatch
from features.podcasts import show_key
from features.users import recent_key

NOW = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)


def ev(event_type: str, **fields: Any) -> Any:
    return parse_event({"event_id": str(uuid.uuid4()), "event_type": event_type,
                        "occurred_at": NOW.isoformat(), "user_id": fields.pop("user", "u1"),
                        "session_id": "s1", **fields})


def test_orders_are_written_once_per_event_in_cents() -> None:
    batch = WriteBatch()
    order = ev("order_placed", order_id="o1", total=10.10, currency="EUR",
               lines=[{"product_id": "P1", "quantity": 2, "unit_price": 5.05}])
    commerce_writes([order, ev("product_viewed", product_id="P1", category="c", price=1)],
                    batch=batch, once_ttl_s=60)
    once = [w for w in batch.writes if isinstance(w, Once)]
    assert len(once) == 1 and once[0].token == str(order.event_id)
    totals = next(w for w in once[0].writes if w.key == k.TOTALS_KEY)
    assert totals.deltas == {k.ORDERS: 1, k.GMV_CENTS: 1010, k.UNITS: 2}  # type: ignore[union-attr]
    assert any(isinstance(w, IncrFields) and w.deltas.get(k.VIEWS) == 1 for w in batch.writes)


def test_low_stock_alerts_once_per_crossing_and_clears_on_restock() -> None:
    rows = {"A": ({"on_hand": "3"}, 5.0), "B": ({"on_hand": "2", "low": "1"}, 5.0),
            "C": ({"on_hand": "9", "low": "1", "gen": "2"}, 5.0), "D": ({"on_hand": "9"}, 5.0)}
    decisions = {d.product_id: (d.action, d.generation) for d in stock_decisions(rows)}
    assert decisions == {"A": ("alert", 0), "C": ("clear", 2)}


def test_activity_counts_users_sessions_and_recent_items() -> None:
    batch = WriteBatch()
    events = [ev("product_viewed", product_id="P1", category="c", price=1),
              ev("cart_item_added", product_id="P1", quantity=1, unit_price=1, user="u2")]
    activity_writes(events, domain="commerce", batch=batch)
    distinct = {w.key: set(w.members) for w in batch.writes if isinstance(w, AddDistinct)}
    minute = int(NOW.timestamp() // 60)
    assert distinct[k.active_minute_key(minute)] == {"u1", "u2"}
    assert distinct[k.funnel_key("cart", minute)] == {"s1"}
    recent = [w for w in batch.writes if isinstance(w, PushRecent)]
    assert {w.key for w in recent} == {recent_key("commerce", "u1"), recent_key("commerce", "u2")}


def test_community_counts_per_community_through_known_posts() -> None:
    batch = WriteBatch()
    community_writes([ev("comment_created", comment_id="k1", post_id="p1", body="hi"),
                      ev("vote_cast", target_id="p1", target_type="post", value=1)],
                     posts={"p1": "c9"}, batch=batch, half_life_s=3600)
    per = next(w for w in batch.writes
               if isinstance(w, IncrFields) and w.key.startswith("community:m:"))
    assert per.deltas == {"c9|comments": 1, "c9|votes": 1}


def test_listen_through_counts_plays_past_ninety_percent() -> None:
    batch = WriteBatch()
    podcast_writes([ev("episode_played", episode_id="e1", show_id="s", position_s=95,
                       duration_s=100),
                    ev("episode_played", episode_id="e1", show_id="s", position_s=10,
                       duration_s=100)], batch=batch, once_ttl_s=60)
    show = next(w for w in batch.writes if isinstance(w, IncrFields) and w.key == show_key("s"))
    assert show.deltas[k.PLAYS] == 2 and show.deltas[k.COMPLETIONS] == 1


def test_published_posts_and_episodes_keep_their_words() -> None:
    batch = WriteBatch()
    community_writes([ev("post_created", post_id="p1", community_id="jazz",
                         title="Blue Note pressings", body="Which reissues?", tags=["vinyl"])],
                     posts={}, batch=batch, half_life_s=3600)
    podcast_writes([ev("episode_published", episode_id="e1", show_id="runs",
                       title="Trail shoes", description="Grip on wet rock", duration_s=1800)],
                   batch=batch, once_ttl_s=60)
    texts = {w.key: dict(w.values) for w in batch.writes
             if isinstance(w, SetFields) and w.key.startswith("text:")}
    assert texts == {
        text_key("post:p1"): {"text": "Blue Note pressings Which reissues? jazz vinyl",
                         "category": "jazz"},
        text_key("episode:e1"): {"text": "Trail shoes Grip on wet rock runs", "category": "runs"}}


def test_heuristic_scorer_flags_spam_not_conversation() -> None:
    assert heuristic_scorer("FREE MONEY!!! click here http://x.io www.y.io casino") >= 0.6
    assert heuristic_scorer("Which yeast for a Belgian dubbel?") < 0.3


def test_ctr_fields_only_for_bounded_models_and_variants() -> None:
    from agents.recommendation.context import recommendation_writes
    from features.keys import OTHER
    from features.recommendations import MODELS_PER_MINUTE, VARIANTS, ModelLabels

    served = [ev("recommendation_served", request_id=f"r{i}", surface="home", items=["x"],
                 model=model, variant=variant)
              for i, (model, variant) in enumerate(
                  [("agora-recommender@3", "champion"), ("ease@1", "challenger"),
                   ("fallback", "fallback"), ("bad|name", "champion"), ("x" * 65, "champion"),
                   ("ok", "evil-variant")]
                  + [(f"flood-{n}", "champion") for n in range(100)])]
    batch = WriteBatch()
    recommendation_writes(served, served={}, batch=batch, labels=ModelLabels())
    fields = {f for w in batch.writes if isinstance(w, IncrFields) for f in w.deltas
              if f.startswith(k.REC_PREFIX)}
    pairs = {tuple(f.split("|")[2:4]) for f in fields}
    arms = {f for w in batch.writes if isinstance(w, IncrFields) for f in w.deltas
            if not f.startswith(k.REC_PREFIX)}
    assert len({f.split("|")[1] for f in arms}) == MODELS_PER_MINUTE + 1  # the hours' bound
    models = {m for m, _ in pairs}
    assert models >= {"agora-recommender@3", "ease@1", "fallback", "ok", OTHER}
    assert "bad|name" not in models and len(models) == MODELS_PER_MINUTE + 1
    assert {v for _, v in pairs} <= VARIANTS | {OTHER}
    assert all(w.key != k.TOTALS_KEY and w.ttl_s for w in batch.writes
               if isinstance(w, IncrFields))
    assert sum(w.deltas.get(k.rec_field("served", OTHER, "champion"), 0) for w in batch.writes
               if isinstance(w, IncrFields)) >= 90  # the flood, folded


def test_model_labels_cap_each_minute_not_forever() -> None:
    from features.recommendations import ModelLabels

    labels = ModelLabels(per_minute=2)
    assert [labels.label(m, 1) for m in ("a", "b", "c", "a")] == ["a", "b", "other", "a"]
    assert labels.label("c", 2) == "c"


def test_declared_counters_and_funnel_steps_are_fields_the_overview_reads() -> None:
    fields = {v for v in vars(k).values() if isinstance(v, str)}
    assert set(EVENTS.counter.values()) <= fields
    assert set(EVENTS.funnel.values()) == set(k.FUNNEL_STEPS)
    assert set(EVENTS.session_counter.values()) <= fields | {"rec_clicks"}
    played = EVENTS.interactions["episode_played"].completion
    assert played is not None and played.share == k.COMPLETION_SHARE


def test_the_live_history_has_every_order_line_and_signed_weights() -> None:
    batch = WriteBatch()
    activity_writes([ev("order_placed", order_id="o1", total=2.0, currency="EUR", lines=[
                         {"product_id": "A", "quantity": 1, "unit_price": 1.0},
                         {"product_id": "B", "quantity": 1, "unit_price": 1.0}]),
                     ev("cart_item_removed", product_id="C", quantity=1, unit_price=1.0),
                     ev("vote_cast", target_id="p1", target_type="post", value=-1),
                     ev("show_unsubscribed", show_id="s1")], domain="commerce", batch=batch)
    history = {(e["item_id"], e["weight"]) for w in batch.writes if isinstance(w, PushRecent)
               for e in map(orjson.loads, w.values)}
    assert history == {("product:A", 5.0), ("product:B", 5.0), ("product:C", -1.0),
                       ("post:p1", -2.0), ("show:s1", -3.0)}
