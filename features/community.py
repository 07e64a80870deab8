"""Community features: hot posts and the moderation queue.

Keys (ids escaped in braces, `features.keys`):
- `hot:posts:<epoch>` scored set: votes with forward time decay (as trending), post → score.
- `post:{<post_id>}` hash: `community_id`, `author`, `created_at` (who owns what, for counters).
- `reports:{<target_id>}` hash: reporter user → time (distinct reporters, exact).
- `postrate:{<user_id>}:<minute>` hash: post ids a user created in that minute.
- `moderation:queue` scored set: flagged content → time of the flag (the newest kept).
- `moderation:flag:{<target>}` hash: reason, detail, time.
- `outbox:flags:{<target>}` hash: flag messages written with their claim and not yet
  delivered to `moderation.flags` (agents.outbox).
- claims `once:flag:{<target>}:<signal>`: one flag per target and signal within a week.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.keys import escape, tag
from features.online import OnlineStore
from features.trending import decay_factor, epoch_of

MODERATION_QUEUE_KEY = "moderation:queue"
QUEUE_CAP = 10_000  # flags waiting for a moderator; older ones drop off the queue
POST_TTL_S = 30 * 86_400.0
REPORTS_TTL_S = 7 * 86_400.0
POSTRATE_TTL_S = 600.0
HOT_EPOCH_S = 86_400.0  # 4 half-lives of 6 h: scores grow by 2**4 at most within one
HOT_TTL_S = 2 * HOT_EPOCH_S + 3600.0
FLAG_TTL_S = 30 * 86_400.0
CLAIM_TTL_S = 7 * 86_400.0


def hot_key(epoch: int) -> str:
    return f"hot:posts:{epoch}"


def post_key(post_id: str) -> str:
    return "post:" + tag(post_id)


def reports_key(target_id: str) -> str:
    return "reports:" + tag(target_id)


def postrate_key(user_id: str, minute: int) -> str:
    return f"postrate:{tag(user_id)}:{minute}"


def flag_key(target_id: str) -> str:
    return "moderation:flag:" + tag(target_id)


def flag_outbox_key(target_id: str) -> str:
    return "outbox:flags:" + tag(target_id)


def flag_claim(target_id: str, signal: str) -> str:
    """The `Once` token of a flag of `target_id` for one signal (`text`, `reports`, `rate:<m>`)."""
    return f"flag:{tag(target_id)}:{escape(signal)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModerationFlag:
    target_id: str
    flagged_at: float
    reason: str
    detail: str


async def hot_posts(store: OnlineStore, *, k: int, now: float,
                    half_life_s: float) -> list[tuple[str, float]]:
    """Posts by decayed vote score, as of `now`."""
    epoch = epoch_of(now, HOT_EPOCH_S)
    norm = decay_factor(now, epoch, half_life_s, HOT_EPOCH_S)
    return [(post, score / norm) for post, score in await store.top(hot_key(epoch), k)]


async def moderation_queue(store: OnlineStore, k: int = 50) -> list[ModerationFlag]:
    """Flagged content waiting for a moderator, newest first."""
    queued = await store.top(MODERATION_QUEUE_KEY, k)
    details = await store.get_many([flag_key(t) for t, _ in queued])
    return [ModerationFlag(target_id=t, flagged_at=at, reason=d.get("reason", ""),
                           detail=d.get("detail", ""))
            for (t, at), d in zip(queued, details, strict=True)]


async def moderation_queue_size(store: OnlineStore) -> int:
    return len(await store.top(MODERATION_QUEUE_KEY, 100_000))
