"""The service layer through the same bootstrap as production, on the fake unit of work."""

from decimal import Decimal

import pytest

from core.adapters.sandbox_payments import SandboxPaymentGateway
from core.bootstrap import bootstrap
from core.domain.communities import ModerationKind
from core.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, OutOfStock
from core.domain.money import Money
from core.domain.orders import OrderStatus
from core.domain.payments import PaymentMethod
from core.service_layer import commands as c
from core.service_layer import reads
from core.service_layer.messagebus import IdempotencyKeyReused
from tests.unit.core.fakes import FakeUnitOfWork, fake_bus


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


@pytest.fixture
def shop():
    bus, uow = fake_bus()
    bus.handle(c.UpsertProduct(sku="mug", title="Mug", price=usd("4.50"), category="home"))
    bus.handle(c.Restock(sku="mug", quantity=3))
    return bus, uow


def order(qty: int = 1, sku: str = "mug", currency: str = "USD") -> c.PlaceOrder:
    return c.PlaceOrder(user_id="u1", currency=currency,
                        lines=(c.LineRequest(sku=sku, quantity=qty),))


def test_place_reserves_and_writes_the_outbox(shop):
    bus, uow = shop
    placed = bus.handle(order(2))
    assert placed["total"] == {"amount": "9.00", "currency": "USD"}
    assert bus.read(reads.get_stock, sku="mug") == {"sku": "mug", "available": 1, "reserved": 2}
    assert {e.event_type for e in uow.outbox[-2:]} == {"inventory_adjusted", "order_placed"}


def test_oversell_is_refused_and_changes_nothing(shop):
    bus, uow = shop
    before = len(uow.outbox)
    with pytest.raises(OutOfStock) as err:
        bus.handle(order(4))
    assert err.value.field == "lines.0.quantity"
    assert bus.read(reads.get_stock, sku="mug")["available"] == 3
    assert len(uow.outbox) == before


@pytest.mark.parametrize(("cmd", "field"), [
    (order(sku="nope"), "lines.0.product_id"),
    (order(currency="EUR"), "currency"),
])
def test_bad_orders_name_the_field(shop, cmd, field):
    bus, _ = shop
    with pytest.raises(InvalidInput) as err:
        bus.handle(cmd)
    assert err.value.field == field


def test_payment_declined_releases_stock(shop):
    bus, uow = shop
    placed = bus.handle(order(3))
    paid = bus.handle(c.PayOrder(order_id=placed["order_id"], method=PaymentMethod.card,
                                 source="4000000000000002"))
    assert paid["status"] == "payment_failed" and paid["failure_reason"] == "card_declined"
    assert bus.read(reads.get_stock, sku="mug") == {"sku": "mug", "available": 3, "reserved": 0}
    assert uow.outbox[-1].event_type in {"payment_failed", "inventory_adjusted"}


class Recording:
    """A gateway that notes what the database holds while it charges; fails when told to."""

    def __init__(self, uow: FakeUnitOfWork, fail: bool = False) -> None:
        self.uow, self.fail = uow, fail
        self.seen: list[tuple[int, str]] = []

    def charge(self, request):
        order_id = request.idempotency_key.removeprefix("order-")
        self.seen.append((self.uow.commits, self.uow.orders.items[order_id].status))
        if self.fail:
            raise ConnectionError("gateway unreachable")
        return SandboxPaymentGateway().charge(request)


def test_the_charge_runs_after_paying_is_committed_and_a_retry_finishes_it():
    uow = FakeUnitOfWork()
    gateway = Recording(uow, fail=True)
    bus = bootstrap(uow_factory=lambda: uow, gateway=gateway)
    bus.handle(c.UpsertProduct(sku="mug", title="Mug", price=usd("4.50"), category="home"))
    bus.handle(c.Restock(sku="mug", quantity=5))
    placed = bus.handle(order(2))
    commits = uow.commits
    pay = c.PayOrder(order_id=placed["order_id"], method=PaymentMethod.card,
                     source="4242424242424242")
    with pytest.raises(ConnectionError):
        bus.handle(pay)
    assert gateway.seen == [(commits + 1, OrderStatus.paying)]  # committed before the call
    assert bus.read(reads.get_order, order_id=placed["order_id"])["status"] == "paying"
    with pytest.raises(Conflict):  # no cancel racing a charge
        bus.handle(c.CancelOrder(order_id=placed["order_id"]))
    gateway.fail = False
    assert bus.handle(pay)["status"] == "paid"
    assert uow.commits == commits + 3  # `paying` twice, then the answer: each unit once
    assert bus.read(reads.get_stock, sku="mug") == {"sku": "mug", "available": 3, "reserved": 0}


def test_a_read_commits_nothing(shop):
    bus, uow = shop
    commits = uow.commits
    assert bus.read(reads.list_products, limit=1)["items"][0]["sku"] == "mug"
    with pytest.raises(NotFound):
        bus.read(reads.get_order, order_id="nope")
    assert uow.commits == commits


def test_pay_then_cancel_is_refused_and_cancel_releases(shop):
    bus, _ = shop
    a = bus.handle(order(1))
    assert bus.handle(c.PayOrder(order_id=a["order_id"], method=PaymentMethod.card,
                                 source="4242424242424242"))["status"] == "paid"
    with pytest.raises(Conflict):
        bus.handle(c.CancelOrder(order_id=a["order_id"]))
    b = bus.handle(order(2))
    assert bus.handle(c.CancelOrder(order_id=b["order_id"]))["status"] == "cancelled"
    assert bus.read(reads.get_stock, sku="mug") == {"sku": "mug", "available": 2, "reserved": 0}


def test_idempotency_key_replays_the_first_result(shop):
    bus, _ = shop
    first = bus.handle(order(1), idempotency_key="k1")
    again = bus.handle(order(1), idempotency_key="k1")
    assert again == first
    assert bus.read(reads.get_stock, sku="mug")["available"] == 2
    with pytest.raises(IdempotencyKeyReused):
        bus.handle(order(2), idempotency_key="k1")


def test_bulk_upsert_is_all_or_nothing(shop):
    bus, _ = shop
    with pytest.raises(InvalidInput) as err:
        bus.handle(c.UpsertProducts(products=(
            c.UpsertProduct(sku="a", title="A", price=usd("1.00"), category="x"),
            c.UpsertProduct(sku="mug", title="Mug", price=Money(amount=Decimal(1),
                                                                currency="EUR"),
                            category="home"))))
    assert err.value.field == "products.1.price.currency"
    assert bus.read(reads.list_products)["items"][0]["sku"] == "mug"


def test_communities_membership_votes_and_moderation():
    bus, uow = fake_bus()
    bus.handle(c.CreateCommunity(community_id="beer", name="Beer", owner_id="owner"))
    with pytest.raises(Forbidden):
        bus.handle(c.CreatePost(community_id="beer", author_id="stranger", title="hi"))
    bus.handle(c.JoinCommunity(community_id="beer", user_id="u1"))
    post = bus.handle(c.CreatePost(community_id="beer", author_id="u1", title="IPA?"))
    bus.handle(c.CastVote(target_type="post", target_id=post["post_id"], user_id="u2", value=1))
    voted = bus.handle(c.CastVote(target_type="post", target_id=post["post_id"], user_id="u2",
                                  value=-1))
    assert voted["score"] == -1
    with pytest.raises(Forbidden):
        bus.handle(c.Moderate(target_type="post", target_id=post["post_id"],
                              moderator_id="u1", kind=ModerationKind.remove, reason="spam"))
    removed = bus.handle(c.Moderate(target_type="post", target_id=post["post_id"],
                                    moderator_id="owner", kind=ModerationKind.remove,
                                    reason="spam"))
    assert removed["status"] == "removed"
    types = [e.event_type for e in uow.outbox]
    assert types.count("community_joined") == 2 and types.count("vote_cast") == 2


def test_podcast_episodes():
    bus, uow = fake_bus()
    bus.handle(c.CreateShow(show_id="s1", title="Show", owner_id="host"))
    bus.handle(c.PublishEpisode(show_id="s1", episode_id="e1", title="Pilot", duration_s=60))
    with pytest.raises(Conflict):
        bus.handle(c.PublishEpisode(show_id="s1", episode_id="e1", title="Again",
                                    duration_s=60))
    assert [e["episode_id"] for e in bus.read(reads.get_show, show_id="s1")["episodes"]] == ["e1"]
    assert uow.outbox[-1].event_type == "episode_published"
