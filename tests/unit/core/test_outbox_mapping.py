"""Every domain event maps onto the catalog's contract, topic and key."""

from decimal import Decimal

from contracts import parse_event
from core.adapters.outbox import outbox_rows, shard_of
from core.domain.events import InventoryAdjusted, OrderPlaced, PlacedLine


def test_order_placed_becomes_the_contract():
    event = OrderPlaced(order_id="o1", user_id="u1", total=Decimal("9.00"), currency="USD",
                        lines=(PlacedLine(product_id="p", quantity=2,
                                          unit_price=Decimal("4.50")),))
    (row,) = outbox_rows([event])
    parsed = parse_event(row["payload"])
    assert parsed.event_type == "order_placed" and parsed.total == 9.0
    assert row["topic"] == "commerce.events" and row["message_key"] == "u1"
    assert row["shard"] == shard_of("order:o1")


def test_inventory_without_user_is_keyed_by_product():
    (row,) = outbox_rows([InventoryAdjusted(product_id="p", delta=-1, reason="sale",
                                            on_hand=3)])
    assert row["message_key"] == "p"
