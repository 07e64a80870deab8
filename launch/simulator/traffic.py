"""Sessions that produce events: shoppers go view → cart → checkout → purchase with drop-off,
members post, comment and vote, listeners play episodes partly or to the end."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from launch.simulator.world import World

Event = dict[str, Any]

# Drop-off between funnel steps, close to published e-commerce medians.
P_CART_AFTER_VIEWS = 0.25
P_CHECKOUT_AFTER_CART = 0.55
P_ORDER_AFTER_CHECKOUT = 0.70
P_PAYMENT_FAILS = 0.06
P_CLICK_SERVED = 0.12  # a simulated user clicks one item of a list the API served


@dataclass(frozen=True)
class ServedList:
    """A list the API answered: what the user saw, for a click on it."""

    request_id: str
    items: tuple[str, ...]


Recommend = Callable[[str], ServedList | None]

DOMAIN_MIX = (("commerce", 0.57), ("community", 0.2), ("podcast", 0.15), ("identity", 0.03),
              ("recommendation", 0.05))


@dataclass
class Session:
    user_id: str
    session_id: str
    domain: str
    steps: Iterator[Event] = field(init=False)


class Traffic:
    """An endless, reproducible stream of event dicts with `occurred_at` = the given clock."""

    def __init__(self, *, seed: int, bad_rate: float = 0.0, open_sessions: int = 300,
                 recommend: Recommend | None = None) -> None:
        self.rng = random.Random(seed)
        self.recommend = recommend  # the API's lists; None: lists made up here
        self.world = World(rng=self.rng)
        self.bad_rate = bad_rate
        self._sessions: list[Session] = []
        self._open = open_sessions
        self._now = datetime.now(UTC)
        self._domains = [d for d, _ in DOMAIN_MIX]
        self._weights = [w for _, w in DOMAIN_MIX]
        self._seq = 0

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _env(self, s: Session, event_type: str, **fields: Any) -> Event:
        return {"event_id": self._uuid(), "event_type": event_type,
                "occurred_at": self._now.isoformat(), "user_id": s.user_id,
                "session_id": s.session_id, "schema_version": 1, **fields}

    def _new_session(self) -> Session:
        domain = self.rng.choices(self._domains, self._weights)[0]
        s = Session(user_id=self.world.user(), session_id=f"s{self._uuid()[:12]}", domain=domain)
        s.steps = getattr(self, f"_{domain}")(s)
        return s

    def next(self, now: datetime | None = None) -> Event | bytes:
        """The next event (a dict), or malformed bytes at `bad_rate`."""
        self._now = now or datetime.now(UTC)
        if self.bad_rate and self.rng.random() < self.bad_rate:
            return self._malformed()
        while len(self._sessions) < self._open:
            self._sessions.append(self._new_session())
        i = self.rng.randrange(len(self._sessions))
        while True:  # a session may end without an event (a served list nobody clicked)
            try:
                return next(self._sessions[i].steps)
            except StopIteration:
                self._sessions[i] = self._new_session()

    def _commerce(self, s: Session) -> Iterator[Event]:
        r, w = self.rng, self.world
        viewed = []
        for _ in range(1 + int(r.expovariate(0.4))):
            pid, cat, price = w.product()
            viewed.append((pid, price))
            yield self._env(s, "product_viewed", product_id=pid, category=cat, price=price)
            if r.random() < 0.08:
                yield self._env(s, "product_searched", query=w.title().lower(),
                                results=r.randint(0, 60))
        if r.random() > P_CART_AFTER_VIEWS:
            return
        cart = r.sample(viewed, k=min(len(viewed), 1 + int(r.expovariate(1.2))))
        lines: list[dict[str, Any]] = []
        for pid, price in cart:
            qty = 1 + int(r.expovariate(1.5))
            lines.append({"product_id": pid, "quantity": qty, "unit_price": price})
            yield self._env(s, "cart_item_added", product_id=pid, quantity=qty, unit_price=price)
        total = round(sum(x["quantity"] * x["unit_price"] for x in lines), 2)
        if r.random() > P_CHECKOUT_AFTER_CART:
            return
        yield self._env(s, "checkout_started", cart_value=total)
        if r.random() > P_ORDER_AFTER_CHECKOUT:
            return
        order_id = f"o{self._uuid()[:16]}"
        yield self._env(s, "order_placed", order_id=order_id, lines=lines, total=total,
                        currency="EUR")
        method = r.choice(("card", "card", "card", "wallet", "bank_transfer"))
        if r.random() < P_PAYMENT_FAILS:
            yield self._env(s, "payment_failed", order_id=order_id, amount=total, method=method,
                            reason="card_declined")
            return
        yield self._env(s, "payment_succeeded", order_id=order_id, amount=total, method=method,
                        reason=None)
        for line in lines:
            yield from self._stock_move(s, line["product_id"], -line["quantity"], "sale")
        if r.random() < 0.1:
            pid, _ = cart[0]
            yield self._env(s, "review_posted", product_id=pid, rating=r.choice((3, 4, 4, 5, 5)),
                            text="great value")

    def _stock_move(self, s: Session, pid: str, delta: int, reason: str) -> Iterator[Event]:
        """Inventory events consistent with each other: on_hand is the running sum of deltas."""
        stock = self.world.stock
        if pid not in stock:
            stock[pid] = self.rng.randint(20, 120)
            yield self._env(s, "inventory_adjusted", product_id=pid, delta=stock[pid],
                            reason="restock", on_hand=stock[pid])
        delta = max(delta, -stock[pid])
        if delta:
            stock[pid] += delta
            yield self._env(s, "inventory_adjusted", product_id=pid, delta=delta, reason=reason,
                            on_hand=stock[pid])
        if stock[pid] < 5 and self.rng.random() < 0.5:
            refill = self.rng.randint(40, 150)
            stock[pid] += refill
            yield self._env(s, "inventory_adjusted", product_id=pid, delta=refill,
                            reason="restock", on_hand=stock[pid])

    def _recommendation(self, s: Session) -> Iterator[Event]:
        r, w = self.rng, self.world
        if self.recommend is not None:  # the API served it (and published the served event)
            answer = self.recommend(s.user_id)
            if answer and answer.items and r.random() < P_CLICK_SERVED:
                # position bias: the first items are looked at more
                weights = [1 / (n + 1) for n in range(len(answer.items))]
                yield self._env(s, "recommendation_clicked", request_id=answer.request_id,
                                item_id=r.choices(answer.items, weights)[0])
            return
        request_id = f"r{self._uuid()[:16]}"
        variant = "challenger" if r.random() < 0.2 else "champion"
        items = [f"product:{w.product()[0]}" for _ in range(10)]
        yield self._env(s, "recommendation_served", request_id=request_id, surface="home",
                        items=items, model="hybrid" if variant == "champion" else "ease",
                        variant=variant)
        if r.random() < (0.12 if variant == "champion" else 0.09):
            yield self._env(s, "recommendation_clicked", request_id=request_id,
                            item_id=r.choice(items))

    def _community(self, s: Session) -> Iterator[Event]:
        r, w = self.rng, self.world
        if r.random() < 0.05:
            yield self._env(s, "community_joined", community_id=w.community())
        if r.random() < 0.12:
            post_id = f"p{len(w.posts)}"
            w.posts.append(post_id)
            yield self._env(s, "post_created", post_id=post_id, community_id=w.community(),
                            title=w.title(), body="What do you think?",
                            tags=[r.choice(("ipa", "stout", "homebrew", "glassware"))])
        for _ in range(1 + int(r.expovariate(0.5))):
            post_id = w.post()
            roll = r.random()
            if roll < 0.25:
                yield self._env(s, "comment_created", comment_id=f"k{self._uuid()[:12]}",
                                post_id=post_id, body="Agreed.")
            elif roll < 0.97:
                yield self._env(s, "vote_cast", target_id=post_id, target_type="post",
                                value=1 if r.random() < 0.85 else -1)
            else:
                yield self._env(s, "content_reported", target_id=post_id, target_type="post",
                                reason=r.choice(("spam", "off-topic", "abuse")))

    def _podcast(self, s: Session) -> Iterator[Event]:
        r, w = self.rng, self.world
        if r.random() < 0.01:
            eid, show, duration = w.episode()
            yield self._env(s, "episode_published", episode_id=f"{eid}-new{self._seq}",
                            show_id=show, title=w.title(), description="A new episode.",
                            duration_s=duration, tags=["beer"])
            self._seq += 1
        for _ in range(1 + int(r.expovariate(0.8))):
            eid, show, duration = w.episode()
            # About 40% of plays reach the end; the rest stop somewhere along the way.
            pos = duration if r.random() < 0.4 else round(duration * r.random(), 1)
            yield self._env(s, "episode_played", episode_id=eid, show_id=show, position_s=pos,
                            duration_s=duration)
            if r.random() < 0.05:
                yield self._env(s, "show_subscribed", show_id=show)

    def _identity(self, s: Session) -> Iterator[Event]:
        r = self.rng
        yield self._env(s, "user_registered", country=r.choice(("GB", "FR", "DE", "US", "NL")),
                        channel=r.choice(("web", "ios", "android")))
        if r.random() < 0.3:
            yield self._env(s, "user_profile_updated", fields=["display_name"])

    def _malformed(self) -> bytes:
        kind = self.rng.randrange(4)
        if kind == 0:
            return b'{"event_type": "product_viewed", "event_id": '  # truncated JSON
        if kind == 1:
            return b'{"event_type": "teleported", "event_id": "%s"}' % self._uuid().encode()
        if kind == 2:  # missing field
            return (b'{"event_id":"%s","event_type":"product_viewed","occurred_at":"%s",'
                    b'"product_id":"P00001"}' % (self._uuid().encode(),
                                                  self._now.isoformat().encode()))
        return (b'{"event_id":"%s","event_type":"product_viewed","occurred_at":"%s",'
                b'"product_id":"P00001","category":"home","price":-5}'
                % (self._uuid().encode(), self._now.isoformat().encode()))
