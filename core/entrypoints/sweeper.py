"""The sweeper: finishes the orders that callers left half done.

- An order left `paying` past `payment_timeout_s` (the API crashed or lost the gateway
  mid-charge) is claimed, its gateway asked for the final answer under the order's one
  idempotency key, and that answer recorded: paid (stock committed) when the charge went
  through, payment_failed (stock released) when it was declined or never reached the gateway.
  Money moves at most once: the gateway answers the first charge's result for the key, and a
  key no charge reached is closed with a decline that a late charge also gets.
- An order still `placed` past `reservation_ttl_s` is cancelled and its reserved stock
  released, with `order_cancelled` and `inventory_adjusted` in the outbox in the same
  transaction: a caller cannot hold stock by placing orders it never pays.

Batches are bounded (`batch_size` orders per transaction) and taken with `FOR UPDATE SKIP
LOCKED`, so several sweepers (one per `agora relay`) share the work and each order is
handled once. A database outage backs off like the relay; a gateway error leaves its order
for the next timeout. It runs in `agora relay` (a thread) or alone as `agora sweep`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from core.entrypoints.backoff import Backoff
from core.service_layer.commands import ClaimStalePayments, ExpireReservations, ResolvePayment
from core.service_layer.messagebus import MessageBus

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class SweepReport:
    expired: int = 0
    paid: int = 0
    failed: int = 0
    errors: int = 0
    full: bool = False
    """A batch was full: more may be due, so the next round starts at once."""

    def add(self, other: SweepReport) -> None:
        self.expired += other.expired
        self.paid += other.paid
        self.failed += other.failed
        self.errors += other.errors


@dataclass(kw_only=True)
class Sweeper:
    bus: MessageBus
    payment_timeout_s: float = 300.0
    reservation_ttl_s: float = 1800.0
    batch_size: int = 100
    interval_s: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)
    totals: SweepReport = field(default_factory=SweepReport, init=False)

    def run_once(self, now: datetime | None = None) -> SweepReport:
        """One batch of each kind; raises what the database raised."""
        now = now or datetime.now(UTC)
        report = SweepReport()
        expired = self.bus.handle(ExpireReservations(
            before=now - timedelta(seconds=self.reservation_ttl_s), limit=self.batch_size))
        report.expired = len(expired["expired"])
        claimed = self.bus.handle(ClaimStalePayments(
            before=now - timedelta(seconds=self.payment_timeout_s), limit=self.batch_size))
        for order_id in claimed["claimed"]:
            try:
                resolved = self.bus.handle(ResolvePayment(order_id=order_id))
            except SQLAlchemyError:
                raise  # the database: back off; claimed orders are due again in a timeout
            except Exception as exc:  # the gateway (or a clash): asked again in a timeout
                report.errors += 1
                log.warning("sweeper: payment of order %s unresolved (%s: %s)", order_id,
                            type(exc).__name__, exc)
                continue
            if not resolved["recorded"]:
                continue  # the API recorded the same answer first
            if resolved["order"]["status"] == "paid":
                report.paid += 1
            else:
                report.failed += 1
        report.full = max(report.expired, len(claimed["claimed"])) >= self.batch_size
        self.totals.add(report)
        if report.expired or report.paid or report.failed:
            log.info("sweeper: %d reservations expired, %d payments paid, %d failed",
                     report.expired, report.paid, report.failed)
        return report

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: sweep every `interval_s`, at once while batches are full."""
        log.info("sweeper started (payments %.0fs, reservations %.0fs)",
                 self.payment_timeout_s, self.reservation_ttl_s)
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception as exc:
                delay = self.backoff.next()
                log.warning("sweep failed (%s); retrying in %.1fs", type(exc).__name__, delay)
                stop.wait(delay)
                continue
            self.backoff.reset()
            if not report.full:
                stop.wait(self.interval_s)
        log.info("sweeper stopped: %d reservations expired, %d payments paid, %d failed",
                 self.totals.expired, self.totals.paid, self.totals.failed)


def build_sweeper(*, database_url: str, payment_timeout_s: float = 300.0,
                  reservation_ttl_s: float = 1800.0, batch_size: int = 100,
                  interval_s: float = 5.0, backoff_max_s: float = 5.0,
                  ) -> tuple[Sweeper, Callable[[], None]]:
    """A sweeper on the database (the sandbox gateway's ledger included), and its closer."""
    from core.bootstrap import bootstrap_database

    bus, close = bootstrap_database(database_url=database_url, pool_size=2)
    return Sweeper(bus=bus, payment_timeout_s=payment_timeout_s,
                   reservation_ttl_s=reservation_ttl_s, batch_size=batch_size,
                   interval_s=interval_s, backoff=Backoff(max_s=backoff_max_s)), close


def run_sweeper(*, database_url: str, stop: threading.Event | None = None, once: bool = False,
                options: Mapping[str, float] | None = None) -> int:
    """`agora sweep`: until SIGINT/SIGTERM (or `stop`); `once`: one round, then report.
    `options`: `build_sweeper`'s."""
    import signal

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    sweeper, close = build_sweeper(database_url=database_url,
                                   **(options or {}))  # type: ignore[arg-type]
    try:
        if once:
            report = sweeper.run_once()
            print(f"sweep: {report.expired} reservations expired, {report.paid} payments paid, "
                  f"{report.failed} failed, {report.errors} unresolved", flush=True)
        else:
            sweeper.run(stop)
    finally:
        close()
    return 0
