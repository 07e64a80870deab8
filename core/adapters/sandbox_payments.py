"""SandboxPaymentGateway: a test-mode payment provider; it never moves real money.

It answers like the big providers' test modes: card numbers from Stripe's test-card list
decide the outcome (4242424242424242 approves, 4000000000000002 is declined, ...). Wallet
tokens and bank accounts decline when they contain "decline". Repeating an idempotency key
returns the first answer. The answers live in a ledger: in memory, or `SqlLedger` (a table
of its own, written outside the core's transactions, as a remote provider would keep them),
so that an API process and the sweeper in `agora relay` see the same charges.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from core.adapters.tables import sandbox_payments
from core.domain.payments import PAYMENT_TIMEOUT, PaymentMethod, PaymentRequest, PaymentResult

DECLINING_CARDS: dict[str, str] = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class Ledger(Protocol):
    def first(self, key: str, decide: Callable[[], PaymentResult]) -> PaymentResult:
        """The result stored under `key`; when there is none, `decide()`'s, stored first."""
        ...


class MemoryLedger:
    def __init__(self) -> None:
        self._results: dict[str, PaymentResult] = {}
        self._lock = threading.Lock()

    def first(self, key: str, decide: Callable[[], PaymentResult]) -> PaymentResult:
        with self._lock:
            found = self._results.get(key)
            if found is None:
                found = self._results[key] = decide()
            return found


class SqlLedger:
    """The first answer per key in `sandbox_payments`: an insert that loses to a concurrent
    one (another process) does nothing, and both read the winner's row."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert

    def first(self, key: str, decide: Callable[[], PaymentResult]) -> PaymentResult:
        t = sandbox_payments
        with self.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.idempotency_key == key)).first()
            if row is None:
                result = decide()
                conn.execute(self._insert(t).values(
                    idempotency_key=key, approved=result.approved, reference=result.reference,
                    reason=result.reason).on_conflict_do_nothing(index_elements=[
                        t.c.idempotency_key]))
                row = conn.execute(select(t).where(t.c.idempotency_key == key)).one()
        return PaymentResult(approved=row.approved, reference=row.reference, reason=row.reason)


def _reference(key: str, approved: bool) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"sandbox_{'ch' if approved else 'de'}_{digest}"


class SandboxPaymentGateway:
    """Approved charges get a `sandbox_ch_…` reference, declines a `sandbox_de_…` one."""

    def __init__(self, *, ledger: Ledger | None = None) -> None:
        self.ledger: Ledger = ledger or MemoryLedger()

    def charge(self, request: PaymentRequest) -> PaymentResult:
        return self.ledger.first(request.idempotency_key, lambda: self._decide(request))

    def resolve(self, idempotency_key: str) -> PaymentResult:
        return self.ledger.first(idempotency_key, lambda: PaymentResult(
            approved=False, reference=_reference(idempotency_key, False),
            reason=PAYMENT_TIMEOUT))

    @staticmethod
    def _decide(request: PaymentRequest) -> PaymentResult:
        reason: str | None = None
        source = request.source.replace(" ", "")
        if request.method is PaymentMethod.card:
            reason = DECLINING_CARDS.get(source) if luhn_valid(source) else "incorrect_number"
        elif "decline" in source.lower():
            reason = f"{request.method.value}_declined"
        key = request.idempotency_key
        if reason is not None:
            return PaymentResult(approved=False, reference=_reference(key, False), reason=reason)
        return PaymentResult(approved=True, reference=_reference(key, True))
