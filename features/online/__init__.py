"""Online store: the agents write it, serving reads it."""

from features.online.store import (
    AddDistinct,
    Delete,
    Effect,
    Exact,
    IncrFields,
    IncrScores,
    Once,
    OnlineStore,
    PushRecent,
    Remove,
    SetFields,
    SetMissing,
    SetScores,
    StoreUnavailable,
    Take,
    Write,
    WriteBatch,
)


def open_store(url: str) -> OnlineStore:
    """`redis://…` for Redis; `redis+cluster://host:port` (any node) for a Redis Cluster;
    `sqlite:///path` (or a bare path) for the embedded store."""
    if url.startswith(("redis+cluster://", "rediss+cluster://")):
        from features.online.redis_cluster_store import RedisClusterStore

        return RedisClusterStore(url=url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from features.online.redis_store import RedisStore

        return RedisStore(url=url)
    from features.online.sqlite_store import SqliteStore

    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    return SqliteStore(path=path)


__all__ = [
    "AddDistinct",
    "Delete",
    "Effect",
    "Exact",
    "IncrFields",
    "IncrScores",
    "Once",
    "OnlineStore",
    "PushRecent",
    "Remove",
    "SetFields",
    "SetMissing",
    "SetScores",
    "StoreUnavailable",
    "Take",
    "Write",
    "WriteBatch",
    "open_store",
]
