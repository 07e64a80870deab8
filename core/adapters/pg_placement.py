"""The order path on PostgreSQL: psycopg's async driver, one request per round trip.

1. The Idempotency-Key's stored result, the lines' prices and stock levels (outside the
   transaction: under READ COMMITTED each statement sees the latest commits anyway, and none
   of these reads locks). A line already short is refused here, with nothing written.
2. BEGIN, the order, its lines, the key's record and the `order_placed` outbox row, then one
   conditional update per line in sku order (`available >= quantity`, RETURNING the level
   left): the stock rows are locked only from here on.
3. The `inventory_adjusted` outbox rows (they carry the level the update returned) and COMMIT.

Each round trip is one simple-protocol request of several statements, the values bound on
the client (psycopg's `AsyncClientCursor`, quoted by libpq): measured, psycopg spends about
80 µs of Python per statement sent on its own, pipelined or not, and a few µs per statement of
a multi-statement request.

Database errors become the domain's, as in the SQL unit of work: a duplicate or a broken
constraint is a Conflict (the caller replays a concurrent first attempt's result), a value
the columns cannot hold is InvalidInput; the rest (connection lost, server down) propagates
for the edge to answer 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import AsyncClientCursor
from psycopg.pq import TransactionStatus
from psycopg.types.json import Json
from sqlalchemy.engine import make_url

from core.adapters.async_pool import AsyncPool
from core.adapters.outbox import outbox_rows
from core.domain.errors import Conflict, DomainError, InvalidInput
from core.domain.events import DomainEvent
from core.domain.money import CENT, Money
from core.domain.orders import Order
from core.service_layer.placing import PlacementTransaction, Snapshot
from core.service_layer.unit_of_work import IdempotencyRecord

_KEY = "SELECT fingerprint, result FROM idempotency_keys WHERE key = %s;"
_PRODUCTS = ("SELECT p.sku, p.price_amount, p.price_currency, s.available FROM products p "
             "LEFT JOIN stock s ON s.product_sku = p.sku WHERE p.sku = ANY(%s);")
_ORDER = ("INSERT INTO orders (order_id, user_id, status, total_amount, currency, "
          "payment_method, payment_reference, failure_reason, version, status_changed_at) "
          "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s);")
_LINES = "INSERT INTO order_lines (order_id, product_sku, quantity, unit_amount, unit_currency)"
_RECORD = "INSERT INTO idempotency_keys (key, fingerprint, result) VALUES (%s, %s, %s);"
_OUTBOX = ("INSERT INTO outbox (event_id, event_type, aggregate_key, shard, topic, message_key,"
           " payload)")
_OUTBOX_COLUMNS = ("event_id", "event_type", "aggregate_key", "shard", "topic", "message_key",
                   "payload")
# version + 1: the ORM's optimistic check elsewhere (pay, cancel) sees this write too
_RESERVE = ("UPDATE stock SET available = available - %s, reserved = reserved + %s, "
            "version = version + 1 WHERE product_sku = %s AND available >= %s "
            "RETURNING available;")
_AVAILABLE = "SELECT available FROM stock WHERE product_sku = %s;"


def _values(sql: str, rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """`sql VALUES (…), (…);` with a placeholder per value, and the values in order."""
    groups = ", ".join("(" + ", ".join(["%s"] * len(row)) + ")" for row in rows)
    return f"{sql} VALUES {groups};", [value for row in rows for value in row]


def conninfo(url: str) -> str:
    """The libpq URI of a SQLAlchemy URL (`postgresql+psycopg://…?options=…`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_exact())


def _money(cents: int, currency: str) -> Money:
    return Money(amount=(Decimal(cents) * CENT).quantize(CENT), currency=currency)


def _translate(exc: psycopg.Error) -> DomainError | None:
    if isinstance(exc, psycopg.IntegrityError):
        return Conflict("conflicts with existing data (duplicate or concurrent write)")
    if isinstance(exc, psycopg.DataError):
        return InvalidInput("a value does not fit the database")
    if exc.sqlstate in ("40001", "40P01"):  # serialization failure, deadlock
        return Conflict("concurrent update; retry")
    return None


class PgPlacement(PlacementTransaction):
    def __init__(self, *, cur: AsyncClientCursor[Any]) -> None:
        self.cur = cur

    async def look_up(self, *, idempotency_key: str | None, skus: Sequence[str]) -> Snapshot:
        sql, params = "", list[Any]()
        if idempotency_key is not None:
            sql, params = _KEY, [idempotency_key]
        if skus:
            sql, params = sql + _PRODUCTS, [*params, list(skus)]
        if not sql:
            return Snapshot(record=None, prices={}, available={})
        cur = self.cur
        await cur.execute(sql, params)
        record = None
        if idempotency_key is not None:
            found = await cur.fetchone()
            if found is not None:
                record = IdempotencyRecord(key=idempotency_key, fingerprint=found[0],
                                           result=found[1])
            cur.nextset()
        rows = await cur.fetchall() if skus else []
        return Snapshot(record=record,
                        prices={sku: _money(cents, money) for sku, cents, money, _ in rows},
                        available={sku: left for sku, _, _, left in rows if left is not None})

    async def place(self, order: Order, *,
                    record: IdempotencyRecord | None) -> dict[str, int | None]:
        rows = outbox_rows(order.take_events())  # a broken event fails here, before writing
        lines = sorted(order.lines, key=lambda ln: ln.product_sku)
        sql: list[str] = ["BEGIN;", _ORDER]
        params: list[Any] = [
            order.order_id, order.user_id, str(order.status), _cents(order.total.amount),
            order.total.currency, order.payment_method, order.payment_reference,
            order.failure_reason, order.version, order.status_changed_at]
        for part, values in (
                _values(_LINES, [(order.order_id, ln.product_sku, ln.quantity,
                                  _cents(ln.unit_price.amount), ln.unit_price.currency)
                                 for ln in lines]),
                _values(_OUTBOX, [[row[c] for c in _OUTBOX_COLUMNS] for row in rows])):
            sql.append(part)
            params.extend(values)
        if record is not None:
            sql.append(_RECORD)
            params.extend((record.key, record.fingerprint, Json(record.result)))
        for ln in lines:
            sql.append(_RESERVE)
            params.extend((ln.quantity, ln.quantity, ln.product_sku, ln.quantity))
        cur = self.cur
        await cur.execute("".join(sql), params)
        for _ in range(len(sql) - len(lines)):  # to the first update's result
            cur.nextset()
        levels: dict[str, int | None] = {}
        for i, ln in enumerate(lines):
            if i:
                cur.nextset()
            row = await cur.fetchone()
            levels[ln.product_sku] = None if row is None else int(row[0])
        return levels

    async def available_after_rollback(self, sku: str) -> int | None:
        await self.cur.execute("ROLLBACK;" + _AVAILABLE, (sku,))
        self.cur.nextset()
        row = await self.cur.fetchone()
        return None if row is None else int(row[0])

    async def commit(self, events: Sequence[DomainEvent]) -> None:
        sql, params = _values(_OUTBOX, [[row[c] for c in _OUTBOX_COLUMNS]
                                        for row in outbox_rows(events)]) if events else ("", [])
        await self.cur.execute(sql + "COMMIT;", params)


class PgOrderDesk:
    """Hands out `PgPlacement` transactions on connections of its own pool."""

    def __init__(self, *, url: str, pool_size: int) -> None:
        self.pool = AsyncPool(conninfo=conninfo(url), max_size=pool_size)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PlacementTransaction]:
        try:
            async with self.pool.connection() as conn:
                try:
                    yield PgPlacement(cur=AsyncClientCursor(conn))
                finally:
                    if conn.info.transaction_status != TransactionStatus.IDLE:
                        with suppress(psycopg.Error):
                            await conn.execute("ROLLBACK")
        except psycopg.Error as exc:
            translated = _translate(exc)
            if translated is None:
                raise
            raise translated from exc

    async def close(self) -> None:
        await self.pool.close()
