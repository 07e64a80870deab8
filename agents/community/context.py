"""The community context: activity per community, hot posts, moderation flags.

A flag is claimed once per target and signal (`once:flag:{<target>}:<signal>`), atomically
with its details and its pending message (agents.outbox).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from agents.community.logic import community_writes, posts_to_resolve, texts
from agents.community.moderation import TextScorer
from agents.context import Decisions, PlainContext
from agents.outbox import Pending, pending_record
from contracts.topics import Topic
from features import kpis as k
from features.buckets import minute_of
from features.community import (
    CLAIM_TTL_S,
    FLAG_TTL_S,
    MODERATION_QUEUE_KEY,
    QUEUE_CAP,
    flag_claim,
    flag_key,
    flag_outbox_key,
    post_key,
    postrate_key,
    reports_key,
)
from features.online import (
    Effect,
    IncrFields,
    Once,
    OnlineStore,
    SetFields,
    SetScores,
    WriteBatch,
)

CACHE_MAX = 100_000


class CommunityContext(PlainContext):
    name = "community"

    def __init__(self, *, half_life_s: float, reporters: int, posts_per_minute: int,
                 scorer: TextScorer, text_threshold: float) -> None:
        self.half_life_s = half_life_s
        self.reporters = reporters
        self.posts_per_minute = posts_per_minute
        self.scorer = scorer
        self.text_threshold = text_threshold
        self.posts: OrderedDict[str, str] = OrderedDict()  # post -> community (LRU)

    def _remember(self, post: str, community: str) -> None:
        self.posts[post] = community
        self.posts.move_to_end(post)
        if len(self.posts) > CACHE_MAX:
            self.posts.popitem(last=False)

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        for ev in events:
            if ev.event_type == "post_created":
                self._remember(ev.post_id, ev.community_id)
        missing = sorted(p for p in posts_to_resolve(events) if p not in self.posts)
        for post, row in zip(missing, await store.get_many([post_key(p) for p in missing]),
                             strict=True):
            if "community_id" in row:
                self._remember(post, row["community_id"])

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        community_writes(events, posts=self.posts, batch=batch, half_life_s=self.half_life_s)

    async def after(self, events: Sequence[Any], store: OnlineStore, now: float) -> Decisions:
        # signal, flag id (stable: what consumers deduplicate by), target, reason, detail
        candidates: list[tuple[str, str, str, str, str]] = []
        for target, user, text in texts(events):
            score = self.scorer(text)
            if score >= self.text_threshold:
                candidates.append(("text", f"text:{target}", target, "text_score",
                                   f"score {score:.2f} by user {user}"))
        reported = sorted({ev.target_id for ev in events if ev.event_type == "content_reported"})
        posters = sorted({(ev.user_id, minute_of(ev.occurred_at.timestamp())) for ev in events
                          if ev.event_type == "post_created" and ev.user_id})
        rows = await store.get_many([reports_key(t) for t in reported]
                                    + [postrate_key(u, m) for u, m in posters])
        for target, row in zip(reported, rows, strict=False):
            if len(row) >= self.reporters:
                candidates.append(("reports", f"reports:{target}", target, "reported",
                                   f"reported by {len(row)} distinct users"))
        for (user, minute), row in zip(posters, rows[len(reported):], strict=True):
            if len(row) > self.posts_per_minute:
                candidates.append((f"rate:{minute}", f"rate:{user}:{minute}", f"user:{user}",
                                   "post_rate", f"{len(row)} posts in one minute"))
        # A redelivered batch finds the same candidates: their outboxes hold what a crash left.
        decided = Decisions(outboxes=sorted({flag_outbox_key(c[2]) for c in candidates}))
        for signal, flag_id, target, reason, detail in candidates:
            message = orjson.dumps({"flag_id": flag_id, "target_id": target, "reason": reason,
                                    "detail": detail, "at": now})
            decided.writes.add(Once(token=flag_claim(target, signal), ttl_s=CLAIM_TTL_S, writes=[
                SetFields(key=flag_key(target), ttl_s=FLAG_TTL_S,
                          values={"reason": reason, "detail": detail, "at": now}),
                pending_record(outbox=flag_outbox_key(target), id=signal,
                               topic=Topic.moderation_flags, key=target.encode(),
                               value=message)]))
        return decided

    def settle(self, message: Pending, now: float) -> list[Effect]:
        """Delivered: the flag joins the moderators' queue, counted once."""
        body = orjson.loads(message.value)
        return [SetScores(key=MODERATION_QUEUE_KEY, scores={body["target_id"]: body["at"]},
                          keep=QUEUE_CAP),
                IncrFields(key=k.stats_key(minute_of(body["at"])), deltas={k.FLAGS: 1},
                           ttl_s=k.STATS_TTL_S)]
