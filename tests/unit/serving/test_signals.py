"""A user's live context from their history: what they turned to, and what they have."""

from __future__ import annotations

from features.users import RecentInteraction
from serving.recommend.signals import user_context


class Recent:
    def __init__(self, recent: list[RecentInteraction]) -> None:
        self._recent = recent

    async def recent(self, user_id: str) -> list[RecentInteraction]:
        return self._recent

    async def out_of_stock(self, items: list[str]) -> set[str]:
        return set()

    async def words(self, item_id: str) -> tuple[str, str] | None:
        return None


def entry(item: str, event_type: str, weight: float, ts: float) -> RecentInteraction:
    return RecentInteraction(item_id=item, event_type=event_type, ts=ts, weight=weight)


async def test_turned_away_items_are_no_history_and_bought_ones_are_consumed() -> None:
    context = await user_context(Recent([
        entry("post:p1", "vote_cast", -2.0, 5), entry("product:A", "order_placed", 5.0, 4),
        entry("product:B", "cart_item_removed", -1.0, 3),
        entry("product:C", "product_viewed", 1.0, 2), entry("show:s1", "show_unsubscribed",
                                                            -3.0, 1)]), "u1", 1.0)
    assert context.history == ["product:A", "product:C"]
    assert context.consumed == {"product:A"}


async def test_weights_are_summed_per_item_as_the_training_set_sums_them() -> None:
    context = await user_context(Recent([
        entry("product:B", "cart_item_removed", -1.0, 4),
        entry("post:p1", "vote_cast", -2.0, 3), entry("product:B", "product_viewed", 1.0, 2),
        entry("post:p1", "post_created", 3.0, 1), entry("post:p2", "vote_cast", -2.0, 0)]),
        "u1", 1.0)
    assert context.history == ["post:p1"]  # 3 - 2 > 0
    assert context.disliked == {"post:p2": -2.0}  # product:B sums to 0: neither
