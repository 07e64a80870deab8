"""Serving's reads from Redis: one connection per event loop, commands pipelined automatically.

Every recommendation reads the user's recent lists. Through redis-py that read took a pooled
connection, a retry wrapper and one socket write per request; on loopback the write syscall
alone was about a tenth of the server's time (py-spy, docs/benchmarks.md "Serving"). Here
every command issued during one turn of the event loop goes out in a single write on the
loop's one connection, and replies come back in order on it (Redis answers a connection's
commands in the order sent), parsed by hiredis; no pool, no lock. bench/redis_read.py
measures this against redis-py (and other clients) in the same run.

A connection that fails fails every command waiting on it with `StoreUnavailable`; the
next command opens a new one. Writes stay on redis-py (features/online/redis_store.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import hiredis

from features.online.store import StoreUnavailable

CONNECT_TIMEOUT_S = 2.0
# No reply at all for this long while commands wait: the connection is dropped, as redis-py's
# socket timeout would (serving's own budget per read is far shorter: `bounded`).
STALL_S = 2.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and as whom to connect, from a `redis://`, `rediss://` or `unix://` URL (redis-py's
    forms; of the query, `db`, and for TLS `ssl_cert_reqs` and `ssl_ca_certs`)."""

    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None  # a unix socket
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"not a redis://, rediss:// or unix:// URL: {url!r}")
        query = {k: unquote(v) for k, _, v in
                 (p.partition("=") for p in parts.query.split("&") if p)}
        db = query.get("db") or (parts.path.strip("/") if parts.scheme != "unix" else "")
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
                   path=unquote(parts.path) if parts.scheme == "unix" else None,
                   db=int(db or 0),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   tls=_tls(query) if parts.scheme == "rediss" else None)

    def handshake(self) -> list[tuple[str | int | float, ...]]:
        """The commands a new connection sends before any read."""
        out: list[tuple[str | int | float, ...]] = []
        if self.password is not None:
            out.append(("AUTH", self.username, self.password) if self.username
                       else ("AUTH", self.password))
        if self.db:
            out.append(("SELECT", self.db))
        return out


def _tls(query: dict[str, str]) -> ssl.SSLContext:
    """redis-py's defaults: the system's CAs (or `ssl_ca_certs`), a certificate required."""
    context = ssl.create_default_context(cafile=query.get("ssl_ca_certs"))
    if query.get("ssl_cert_reqs", "required") in ("none", "optional"):
        context.check_hostname = False
        context.verify_mode = (ssl.CERT_NONE if query["ssl_cert_reqs"] == "none"
                               else ssl.CERT_OPTIONAL)
    return context


class _Connection(asyncio.Protocol):
    """One socket: commands queued during a loop turn are written together on the next."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._reader = hiredis.Reader(encoding="utf-8", errors="replace")
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._out: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._replies = 0
        self._watch: asyncio.TimerHandle | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike
        self._transport = cast(asyncio.Transport, transport)
        self._flush()

    def send(self, packed: bytes) -> asyncio.Future[Any]:
        if self.lost:
            raise StoreUnavailable("redis connection lost")
        future = self._loop.create_future()
        if not self._out:
            self._loop.call_soon(self._flush)
        self._out.append(packed)
        self._waiting.append(future)
        return future

    def _flush(self) -> None:
        if self._transport is None or not self._out or self.lost:
            return  # not connected yet: connection_made flushes
        self._transport.write(b"".join(self._out))
        self._out.clear()
        if self._watch is None:
            self._watch = self._loop.call_later(STALL_S, self._check, self._replies)

    def _check(self, replies: int) -> None:
        """Every `STALL_S` while commands wait: drop the connection if none was answered."""
        self._watch = None
        if not self._waiting or self.lost:
            return
        if self._replies == replies:
            self._fail(StoreUnavailable(f"redis: no reply in {STALL_S} s"))
            if self._transport is not None:
                self._transport.abort()
            return
        self._watch = self._loop.call_later(STALL_S, self._check, self._replies)

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        try:
            while (reply := self._reader.gets()) is not False:
                future = self._waiting.popleft()
                self._replies += 1
                if future.done():  # its caller gave up (a timeout): the reply is dropped
                    continue
                if isinstance(reply, hiredis.ReplyError):
                    future.set_exception(_ReplyError(str(reply)))
                else:
                    future.set_result(reply)
        except (hiredis.ProtocolError, IndexError) as exc:  # not Redis speaking: give up
            self._fail(StoreUnavailable(f"redis protocol: {exc}"))
            if self._transport is not None:
                self._transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(StoreUnavailable(f"redis connection lost: {exc or 'closed'}"))

    def _fail(self, exc: StoreUnavailable) -> None:
        self.lost = True
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self._out.clear()
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(exc)

    def close(self) -> None:
        if self._transport is not None and not self._loop.is_closed():
            self._transport.close()


class _ReplyError(Exception):
    """Redis answered a command with an error (NOSCRIPT, WRONGTYPE, ...)."""


class PipelinedReader:
    """Read commands on one connection per event loop, written once per loop turn."""

    def __init__(self, *, url: str) -> None:
        self._endpoint = Endpoint.from_url(url)
        # weak: a loop that is gone (a test's) takes its connection with it
        self._opening: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Task[_Connection]] = weakref.WeakKeyDictionary()
        self._open: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, _Connection] = weakref.WeakKeyDictionary()
        self._shas: dict[str, str] = {}  # script source → its sha1

    async def _connection(self) -> _Connection:
        loop = asyncio.get_running_loop()
        connection = self._open.get(loop)
        if connection is not None and not connection.lost:
            return connection
        opening = self._opening.get(loop)
        if opening is None or opening.done():
            # a task of its own: a caller that times out does not abort the connect for all
            opening = self._opening[loop] = loop.create_task(self._connect(loop))
            opening.add_done_callback(_retrieved)
        try:
            return await asyncio.shield(opening)
        except (OSError, TimeoutError, _ReplyError) as exc:
            raise StoreUnavailable(f"redis: {exc!r}") from exc

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        end = self._endpoint
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            if end.path is not None:
                _, connection = await loop.create_unix_connection(
                    lambda: _Connection(loop), end.path)
            else:
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop), end.host, end.port, ssl=end.tls)
            try:
                for command in end.handshake():
                    await connection.send(_pack(command))
            except BaseException:
                connection.close()
                raise
        self._open[loop] = connection
        return connection

    async def call(self, *args: str | int | float) -> Any:
        """One command's reply (str for bulk strings: replies are decoded as UTF-8)."""
        connection = await self._connection()
        try:
            return await connection.send(_pack(args))
        except _ReplyError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def many(self, commands: Sequence[tuple[str | int | float, ...]]) -> list[Any]:
        """Several commands' replies, in order: written together, so one round trip."""
        connection = await self._connection()
        sent = [connection.send(_pack(c)) for c in commands]
        try:
            return [await f for f in sent]
        except _ReplyError as exc:
            raise StoreUnavailable(str(exc)) from exc
        finally:
            for f in sent:  # replies nobody waits for any more: dropped, not logged
                if not f.done():
                    f.cancel()
                elif not f.cancelled():
                    f.exception()

    async def script(self, source: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """EVALSHA of a read-only script, loading it with EVAL the first time Redis lacks it."""
        sha = self._shas.get(source)
        if sha is None:
            sha = self._shas[source] = hashlib.sha1(source.encode()).hexdigest()
        connection = await self._connection()
        try:
            return await connection.send(_pack(("EVALSHA", sha, len(keys), *keys, *args)))
        except _ReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise StoreUnavailable(str(exc)) from exc
        return await self.call("EVAL", source, len(keys), *keys, *args)

    async def close(self) -> None:
        for opening in list(self._opening.values()):
            opening.cancel()
        for connection in list(self._open.values()):
            connection.close()
        self._opening.clear()
        self._open.clear()


def _pack(args: tuple[str | int | float, ...]) -> bytes:
    # hiredis's stub declares a 1-tuple; it takes any number of arguments
    return hiredis.pack_command(args)  # type: ignore[arg-type]


def _retrieved(task: asyncio.Task[_Connection]) -> None:
    """Mark a failed connect's error as seen: its callers may all have timed out."""
    if not task.cancelled():
        task.exception()
