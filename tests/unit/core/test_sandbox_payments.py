from decimal import Decimal

from core.adapters.sandbox_payments import SandboxPaymentGateway, luhn_valid
from core.domain.money import Money
from core.domain.payments import PaymentMethod, PaymentRequest


def _charge(gw: SandboxPaymentGateway, source: str, key: str = "k",
            method: PaymentMethod = PaymentMethod.card):
    return gw.charge(PaymentRequest(idempotency_key=key, amount=Money(amount=Decimal(5),
                                    currency="USD"), method=method, source=source))


def test_test_cards_decide_like_stripe_test_mode():
    gw = SandboxPaymentGateway()
    assert _charge(gw, "4242424242424242", "a").approved
    declined = _charge(gw, "4000000000000002", "b")
    assert not declined.approved and declined.reason == "card_declined"
    assert _charge(gw, "4000000000009995", "c").reason == "insufficient_funds"
    assert _charge(gw, "1234", "d").reason == "incorrect_number"
    assert not _charge(gw, "wallet_decline", "e", PaymentMethod.wallet).approved
    assert _charge(gw, "DE89370400440532013000", "f", PaymentMethod.bank_transfer).approved


def test_same_idempotency_key_same_answer():
    gw = SandboxPaymentGateway()
    first = _charge(gw, "4242424242424242", "same")
    assert _charge(gw, "4000000000000002", "same") == first


def test_luhn():
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")
