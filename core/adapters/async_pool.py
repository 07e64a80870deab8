"""A small pool of psycopg async connections for the order path.

At most `max_size` connections: sized to the server's cores, not to the clients, so that
requests queue here (a cheap await) rather than as backends competing for two CPUs and the
same row locks. A connection is connected on demand, so an unreachable server fails the
request at once (a 503 at the edge) instead of after a wait; one idle for longer than
`ping_after_s` is checked with an empty query before use (a restarted server left it dead),
and one returned broken or inside a transaction is closed, not reused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus


class PoolExhausted(psycopg.OperationalError):
    """No connection became free within the pool's timeout: the database is overloaded."""


class AsyncPool:
    def __init__(self, *, conninfo: str, max_size: int, timeout_s: float = 30.0,
                 ping_after_s: float = 1.0) -> None:
        self.conninfo = conninfo
        self.max_size = max_size
        self.timeout_s = timeout_s
        self.ping_after_s = ping_after_s
        self._idle: list[tuple[AsyncConnection, float]] = []
        self._slots: asyncio.Semaphore | None = None

    async def _checkout(self) -> AsyncConnection:
        while self._idle:
            conn, since = self._idle.pop()
            if time.monotonic() - since < self.ping_after_s:
                return conn
            try:
                await conn.execute("")
                return conn
            except psycopg.Error:
                await conn.close()
        return await AsyncConnection.connect(self.conninfo, autocommit=True)

    def _checkin(self, conn: AsyncConnection) -> bool:
        if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            return False
        self._idle.append((conn, time.monotonic()))
        return True

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        if self._slots is None:  # made in the loop that uses it
            self._slots = asyncio.Semaphore(self.max_size)
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolExhausted(f"no connection free within {self.timeout_s} s") from None
        try:
            conn = await self._checkout()
            try:
                yield conn
            finally:
                if not self._checkin(conn):
                    with suppress(psycopg.Error):
                        await conn.close()
        finally:
            self._slots.release()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            with suppress(psycopg.Error):
                await conn.close()
