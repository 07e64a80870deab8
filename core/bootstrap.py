"""The one place that wires the core: handlers, their dependencies and the unit of work.

Unit tests call `bootstrap` with a fake unit of work; production passes a database URL.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from core.domain.payments import PaymentGateway
from core.service_layer import commands as c
from core.service_layer import placing
from core.service_layer.handlers import (
    catalog,
    communities,
    identity,
    orders,
    podcasts,
    rules,
    sweeping,
)
from core.service_layer.messagebus import AsyncHandler, Handler, MessageBus
from core.service_layer.placing import OrderDesk
from core.service_layer.unit_of_work import UnitOfWork

HANDLERS: Mapping[type[c.Command], Callable[..., Any]] = {
    c.UpsertProduct: catalog.upsert_product,
    c.UpsertProducts: catalog.upsert_products,
    c.UpdateProduct: catalog.update_product,
    c.CreateListing: catalog.create_listing,
    c.Restock: catalog.restock,
    c.PlaceOrder: orders.place_order,
    c.PayOrder: orders.pay_order,
    c.CancelOrder: orders.cancel_order,
    c.FulfilOrder: orders.fulfil_order,
    c.ExpireReservations: sweeping.expire_reservations,
    c.ClaimStalePayments: sweeping.claim_stale_payments,
    c.ResolvePayment: sweeping.resolve_payment,
    c.RegisterUser: identity.register_user,
    c.IssueApiKey: identity.issue_api_key,
    c.CreateCommunity: communities.create_community,
    c.JoinCommunity: communities.join_community,
    c.AppointMember: communities.appoint_member,
    c.CreatePost: communities.create_post,
    c.CreateComment: communities.create_comment,
    c.CastVote: communities.cast_vote,
    c.ReportContent: communities.report_content,
    c.Moderate: communities.moderate,
    c.CreateShow: podcasts.create_show,
    c.PublishEpisode: podcasts.publish_episode,
    c.CreateRule: rules.create_rule,
    c.SetRuleActive: rules.set_rule_active,
    c.DeleteRule: rules.delete_rule,
}


# Connections of the order path: about two per core of a small database server keeps its
# CPUs busy; more only queue as backends on the same CPUs and row locks (docs/benchmarks.md).
ORDER_POOL_SIZE = 8


def _new_id() -> str:
    return uuid.uuid4().hex


def _inject(handler: Callable[..., Any], deps: Mapping[str, Any]) -> Handler:
    params = inspect.signature(handler).parameters
    return partial(handler, **{name: dep for name, dep in deps.items() if name in params})


def bootstrap(*, uow_factory: Callable[[], UnitOfWork], gateway: PaymentGateway,
              new_id: Callable[[], str] = _new_id, desk: OrderDesk | None = None,
              closers: tuple[Callable[[], Awaitable[None]], ...] = ()) -> MessageBus:
    """The bus; with `desk` (PostgreSQL), orders placed through `handle_async` take the
    async order path (core/service_layer/placing.py)."""
    deps = {"gateway": gateway, "new_id": new_id}
    async_handlers: dict[type[c.Command], AsyncHandler] = {} if desk is None else {
        c.PlaceOrder: partial(placing.place_order, desk=desk, new_id=new_id)}
    return MessageBus(uow_factory=uow_factory,
                      handlers={cmd: _inject(h, deps) for cmd, h in HANDLERS.items()},
                      async_handlers=async_handlers, closers=closers)


def bootstrap_database(*, database_url: str, gateway: PaymentGateway | None = None,
                       pool_size: int = 20) -> tuple[MessageBus, Callable[[], None]]:
    """The bus on a real database, and a function that closes its connections."""
    from core.adapters.database import create_database_engine, is_postgres_psycopg
    from core.adapters.sandbox_payments import SandboxPaymentGateway, SqlLedger
    from core.adapters.unit_of_work import SqlUnitOfWork, session_factory

    engine = create_database_engine(database_url, pool_size=pool_size)
    sessions = session_factory(engine)
    # The sandbox's answers in the database: the API and the sweeper see the same charges.
    gateway = gateway or SandboxPaymentGateway(ledger=SqlLedger(engine=engine))
    desk = None
    if is_postgres_psycopg(database_url):
        from core.adapters.pg_placement import PgOrderDesk

        # connects only when an order is placed through handle_async (the API)
        desk = PgOrderDesk(url=database_url, pool_size=min(pool_size, ORDER_POOL_SIZE))
    bus = bootstrap(uow_factory=lambda: SqlUnitOfWork(session_factory=sessions),
                    gateway=gateway, desk=desk, closers=() if desk is None else (desk.close,))
    return bus, engine.dispose


def migrate_embedded(database_url: str) -> None:
    """Bring an embedded SQLite core to the latest schema (what a process that opens one, such
    as the API, does first); any other database is migrated by `agora db upgrade` alone."""
    from core.adapters.database import is_sqlite
    from core.migrations import upgrade

    if is_sqlite(database_url):
        upgrade(database_url)
