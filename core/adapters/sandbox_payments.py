"""SandboxPaymentGateway: a test-mode payment provider; it never moves real money.

It answers like the big providers' test modes: card numbers from Stripe's test-card list
decide the outcome (4242424242424242 approves, 4000000000000002 is declined, ...). Wallet
tokens and bank accounts decline when they contain "decline". Repeating an idempotency key
returns the first answer.
"""

from __future__ import annotations

import hashlib
import threading

from core.domain.payments import PaymentMethod, PaymentRequest, PaymentResult

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


class SandboxPaymentGateway:
    """In-memory sandbox; approved charges get a `sandbox_ch_…` reference."""

    def __init__(self) -> None:
        self._results: dict[str, PaymentResult] = {}
        self._lock = threading.Lock()

    def charge(self, request: PaymentRequest) -> PaymentResult:
        with self._lock:
            found = self._results.get(request.idempotency_key)
            if found is None:
                found = self._results[request.idempotency_key] = self._decide(request)
            return found

    @staticmethod
    def _decide(request: PaymentRequest) -> PaymentResult:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        reason: str | None = None
        source = request.source.replace(" ", "")
        if request.method is PaymentMethod.card:
            reason = DECLINING_CARDS.get(source) if luhn_valid(source) else "incorrect_number"
        elif "decline" in source.lower():
            reason = f"{request.method.value}_declined"
        if reason is not None:
            return PaymentResult(approved=False, reference=f"sandbox_de_{digest}", reason=reason)
        return PaymentResult(approved=True, reference=f"sandbox_ch_{digest}")
