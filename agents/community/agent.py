"""The community context: activity per community, hot posts, moderation flags."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from agents.community.logic import community_writes, posts_to_resolve, texts
from agents.community.moderation import TextScorer
from agents.context import Outbound, PlainContext
from contracts.topics import Topic
from features import kpis as k
from features.buckets import minute_of
from features.community import MODERATION_QUEUE_KEY, flag_key, post_key, postrate_key, reports_key
from features.online import IncrFields, IncrScores, OnlineStore, SetFields, WriteBatch

CACHE_MAX = 100_000
CLAIM_TTL_S = 7 * 86_400.0


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

    async def after(self, events: Sequence[Any], store: OnlineStore,
                    now: float) -> tuple[WriteBatch, list[Outbound]]:
        candidates: list[tuple[str, str, str, str]] = []  # token, target, reason, detail
        for target, user, text in texts(events):
            score = self.scorer(text)
            if score >= self.text_threshold:
                candidates.append((f"text:{target}", target, "text_score",
                                   f"score {score:.2f} by user {user}"))
        reported = sorted({ev.target_id for ev in events if ev.event_type == "content_reported"})
        posters = sorted({(ev.user_id, minute_of(ev.occurred_at.timestamp())) for ev in events
                          if ev.event_type == "post_created" and ev.user_id})
        rows = await store.get_many([reports_key(t) for t in reported]
                                    + [postrate_key(u, m) for u, m in posters])
        for target, row in zip(reported, rows, strict=False):
            if len(row) >= self.reporters:
                candidates.append((f"reports:{target}", target, "reported",
                                   f"reported by {len(row)} distinct users"))
        for (user, minute), row in zip(posters, rows[len(reported):], strict=True):
            if len(row) > self.posts_per_minute:
                candidates.append((f"rate:{user}:{minute}", f"user:{user}", "post_rate",
                                   f"{len(row)} posts in one minute"))
        batch, out = WriteBatch(), []
        for token, target, reason, detail in candidates:
            if not await store.claim(f"flag:{token}", CLAIM_TTL_S):
                continue
            batch.add(IncrScores(key=MODERATION_QUEUE_KEY, deltas={target: now}))
            batch.add(SetFields(key=flag_key(target), values={"reason": reason, "detail": detail,
                                                              "at": now}))
            batch.add(IncrFields(key=k.stats_key(minute_of(now)), deltas={k.FLAGS: 1},
                                 ttl_s=k.STATS_TTL_S))
            out.append(Outbound(Topic.moderation_flags, target.encode(), orjson.dumps(
                {"flag_id": token, "target_id": target, "reason": reason, "detail": detail,
                 "at": now})))
        return batch, out

    @property
    def cache_size(self) -> int:
        return len(self.posts)
