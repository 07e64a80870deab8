"""Embedded online store: one SQLite file in WAL mode.

Chosen over an in-process dict because the worker and the API are separate processes that
must share it, and over a bundled Redis because nothing here may download or build a server.
WAL lets the API read while the worker writes; each batch is one transaction.
Calls run on the event loop: a keyed SQLite read takes microseconds, less than a thread hop.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from features.online.store import (
    AddDistinct,
    Delete,
    IncrFields,
    IncrScores,
    Once,
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS zset (key TEXT, member TEXT, score REAL NOT NULL,
                                 PRIMARY KEY (key, member)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS zset_by_score ON zset (key, score DESC);
CREATE TABLE IF NOT EXISTS hash (key TEXT, field TEXT, value NOT NULL,
                                 PRIMARY KEY (key, field)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS list (key TEXT, seq INTEGER, value TEXT NOT NULL,
                                 PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS expiry (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS distinct_member (key TEXT, member TEXT,
                                            PRIMARY KEY (key, member)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS token (token TEXT PRIMARY KEY, expires_at REAL NOT NULL);
"""
_SWEEP_EVERY_S = 5.0


class SqliteStore:
    def __init__(self, *, path: str | Path) -> None:
        self._path = str(path)
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self._path, timeout=10.0, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._next_sweep = 0.0

    def _live(self, key: str) -> bool:
        row = self._db.execute("SELECT expires_at FROM expiry WHERE key = ?", (key,)).fetchone()
        return row is None or row[0] > time.time()

    async def apply(self, batch: WriteBatch) -> None:
        if not batch.writes:
            return
        db = self._db
        now = time.time()
        try:
            db.execute("BEGIN IMMEDIATE")
            for w in batch.writes:
                self._write(w, now)
            if now >= self._next_sweep:
                self._sweep(now)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StoreUnavailable(str(exc)) from exc
        except BaseException:  # a value the driver cannot bind (OverflowError): nothing stays
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _write(self, w: Write, now: float) -> None:
        db = self._db
        match w:
            case Once():
                if self._take_token("once:" + w.token, now + w.ttl_s):
                    for inner in w.writes:
                        self._write(inner, now)
                return
            case Take():
                if self._live(w.key) and db.execute(
                        "DELETE FROM hash WHERE key = ? AND field = ?",
                        (w.key, w.field)).rowcount == 1:
                    for inner in w.writes:
                        self._write(inner, now)
                return
            case SetScores():
                self._revive(w.key, now)
                db.executemany("INSERT OR REPLACE INTO zset VALUES (?, ?, ?)",
                               [(w.key, m, s) for m, s in w.scores.items()])
                if w.keep is not None:
                    db.execute(
                        "DELETE FROM zset WHERE key = ? AND member NOT IN (SELECT member FROM"
                        " zset WHERE key = ? ORDER BY score DESC, member LIMIT ?)",
                        (w.key, w.key, w.keep))
            case IncrScores():
                self._revive(w.key, now)
                db.executemany(
                    "INSERT INTO zset VALUES (?, ?, ?) ON CONFLICT (key, member)"
                    " DO UPDATE SET score = score + excluded.score",
                    [(w.key, m, d) for m, d in w.deltas.items()],
                )
            case IncrFields():
                self._revive(w.key, now)
                db.executemany(
                    "INSERT INTO hash VALUES (?, ?, ?) ON CONFLICT (key, field)"
                    " DO UPDATE SET value = value + excluded.value",
                    [(w.key, f, d) for f, d in w.deltas.items()],
                )
            case SetFields() | SetMissing():
                self._revive(w.key, now)
                verb = "INSERT OR REPLACE" if isinstance(w, SetFields) else "INSERT OR IGNORE"
                db.executemany(f"{verb} INTO hash VALUES (?, ?, ?)",
                               [(w.key, f, v) for f, v in w.values.items()])
            case AddDistinct():
                self._revive(w.key, now)
                db.executemany("INSERT OR IGNORE INTO distinct_member VALUES (?, ?)",
                               [(w.key, m) for m in w.members])
            case PushRecent():
                self._revive(w.key, now)
                row = db.execute("SELECT MAX(seq) FROM list WHERE key = ?", (w.key,)).fetchone()
                start = (row[0] or 0) + 1
                db.executemany(
                    "INSERT INTO list VALUES (?, ?, ?)",
                    [(w.key, start + i, v) for i, v in enumerate(w.values)],
                )
                db.execute(
                    "DELETE FROM list WHERE key = ? AND seq <= ?",
                    (w.key, start + len(w.values) - 1 - w.max_len),
                )
            case Remove():
                db.executemany("DELETE FROM zset WHERE key = ? AND member = ?",
                               [(w.key, m) for m in w.members])
            case Delete():
                self._drop(w.key)
        ttl = getattr(w, "ttl_s", None)
        if ttl:
            db.execute("INSERT OR REPLACE INTO expiry VALUES (?, ?)", (w.key, now + ttl))

    def _take_token(self, token: str, expires_at: float) -> bool:
        """True if `token` was free (or expired): it is now taken until `expires_at`."""
        cur = self._db.execute(
            "INSERT INTO token VALUES (?, ?) ON CONFLICT (token) DO UPDATE"
            " SET expires_at = excluded.expires_at WHERE token.expires_at <= ?",
            (token, expires_at, time.time()),
        )
        return cur.rowcount == 1

    def _revive(self, key: str, now: float) -> None:
        """Writing to an expired key starts it afresh, as in Redis."""
        row = self._db.execute("SELECT expires_at FROM expiry WHERE key = ?", (key,)).fetchone()
        if row is not None and row[0] <= now:
            self._drop(key)

    def _drop(self, key: str) -> None:
        for table in ("zset", "hash", "list", "distinct_member", "expiry"):
            self._db.execute(f"DELETE FROM {table} WHERE key = ?", (key,))

    def _sweep(self, now: float) -> None:
        expired = [r[0] for r in self._db.execute(
            "SELECT key FROM expiry WHERE expires_at <= ?", (now,))]
        for key in expired:
            self._drop(key)
        self._db.execute("DELETE FROM token WHERE expires_at <= ?", (now,))
        self._next_sweep = now + _SWEEP_EVERY_S

    def _read(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def top(self, key: str, k: int) -> list[tuple[str, float]]:
        if not self._live(key):
            return []
        rows = self._read(
            "SELECT member, score FROM zset WHERE key = ? ORDER BY score DESC, member LIMIT ?",
            (key, k),
        )
        return [(str(m), float(s)) for m, s in rows]  # type: ignore[arg-type]

    async def top_union(
        self, keys: Sequence[str], k: int, weights: Sequence[float] | None = None
    ) -> list[tuple[str, float]]:
        live = [(key, 1.0 if weights is None else weights[i])
                for i, key in enumerate(keys) if self._live(key)]
        if not live:
            return []
        values = ",".join("(?, ?)" for _ in live)
        args: list[object] = [x for pair in live for x in pair]
        rows = self._read(
            f"WITH w(key, weight) AS (VALUES {values}) "
            "SELECT member, SUM(score * weight) AS s FROM zset JOIN w USING (key) "
            "GROUP BY member ORDER BY s DESC, member LIMIT ?",
            (*args, k),
        )
        return [(str(m), float(s)) for m, s in rows]  # type: ignore[arg-type]

    async def score(self, key: str, member: str) -> float | None:
        if not self._live(key):
            return None
        rows = self._read("SELECT score FROM zset WHERE key = ? AND member = ?", (key, member))
        return float(rows[0][0]) if rows else None  # type: ignore[arg-type]

    async def get_fields(self, key: str) -> dict[str, str]:
        if not self._live(key):
            return {}
        rows = self._read("SELECT field, value FROM hash WHERE key = ?", (key,))
        return {str(f): _text(v) for f, v in rows}

    async def recent(self, key: str, n: int) -> list[str]:
        if not self._live(key):
            return []
        rows = self._read("SELECT value FROM list WHERE key = ? ORDER BY seq DESC LIMIT ?",
                          (key, n))
        return [str(r[0]) for r in rows]

    async def recent_many(self, keys: Sequence[str], n: int) -> list[list[str]]:
        return [await self.recent(key, n) for key in keys]

    async def get_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        return [await self.get_fields(key) for key in keys]

    async def count_distinct(self, groups: Sequence[Sequence[str]]) -> list[int]:
        out = []
        for group in groups:
            live = [key for key in group if self._live(key)]
            if not live:
                out.append(0)
                continue
            marks = ",".join("?" for _ in live)
            rows = self._read("SELECT COUNT(DISTINCT member) FROM distinct_member"
                              f" WHERE key IN ({marks})", tuple(live))
            out.append(int(rows[0][0]))  # type: ignore[call-overload]
        return out

    async def claim(self, token: str, ttl_s: float) -> bool:
        try:
            with self._db:
                return self._take_token("claim:" + token, time.time() + ttl_s)
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def ping(self) -> None:
        self._read("SELECT 1", ())

    async def close(self) -> None:
        self._db.close()


def _text(value: object) -> str:
    """Format numbers the way Redis returns them (`3` not `3.0`)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
