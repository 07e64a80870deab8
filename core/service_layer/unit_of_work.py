"""The unit of work: one transaction, its repositories, and the outbox written on commit."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar, get_args, get_origin, get_type_hints

from core.domain.aggregate import Aggregate
from core.domain.catalog import Listing, Product
from core.domain.communities import Comment, Community, ModerationAction, Post, Vote
from core.domain.events import DomainEvent
from core.domain.identity import ApiKey, User
from core.domain.inventory import Stock
from core.domain.orders import Order, OrderStatus
from core.domain.podcasts import Show
from core.domain.rules import RuleSet

T = TypeVar("T")


class Repository(Protocol, Generic[T]):
    def add(self, obj: T) -> None: ...

    def get(self, key: Any, *, for_update: bool = False) -> T | None:
        """The entity, or None; `for_update` holds a row lock until the transaction ends."""
        ...

    def list(self, *, offset: int = 0, limit: int = 50, **where: Any) -> list[T]: ...


class OrderRepository(Repository[Order], Protocol):
    def overdue(self, *, status: OrderStatus, before: datetime, limit: int) -> list[Order]:
        """Up to `limit` orders in `status` since before `before`, oldest first, row-locked;
        rows another transaction holds are skipped, not waited for."""
        ...


@dataclass(kw_only=True)
class IdempotencyRecord:
    """The first result of a request made with an Idempotency-Key."""

    key: str
    fingerprint: str
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ItemRow:
    """An item the core holds, as merchandising rules match it (`UnitOfWork.item_rows`)."""

    kind: str  # product, post or comment
    key: str  # the id after `<kind>:`
    category: str | None  # a product's category; a post's (or a comment's post's) community
    price: Decimal | None = None
    created_at: datetime | None = None
    seller: str | None = None  # one row per listing of a product


class UnitOfWork(abc.ABC):
    # The one list of repositories: `repositories()` reads it for the adapters and the fakes.
    products: Repository[Product]
    listings: Repository[Listing]
    stock: Repository[Stock]
    orders: OrderRepository
    users: Repository[User]
    api_keys: Repository[ApiKey]
    communities: Repository[Community]
    posts: Repository[Post]
    comments: Repository[Comment]
    votes: Repository[Vote]
    moderation: Repository[ModerationAction]
    shows: Repository[Show]
    rule_sets: Repository[RuleSet]
    idempotency: Repository[IdempotencyRecord]

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()

    def commit(self) -> None:
        """Write the recorded events to the outbox, then commit both with the change."""
        events = [e for agg in self.touched() for e in agg.take_events()]
        if events:
            self.write_outbox(events)
        self._commit()

    @abc.abstractmethod
    def item_rows(self, *, products: Sequence[str], posts: Sequence[str],
                  comments: Sequence[str]) -> list[ItemRow]:
        """These catalogue items in one read (one statement on a database), the ones the
        core does not hold left out: each product once per listing (once, without a seller,
        when it has none), posts and comments with their community."""

    @abc.abstractmethod
    def memberships(self, user_id: str, *, limit: int) -> list[str]:
        """The ids of (at most `limit`) communities the user is a member of."""

    @abc.abstractmethod
    def touched(self) -> Iterable[Aggregate]:
        """The aggregates loaded or added in this unit of work."""

    @abc.abstractmethod
    def write_outbox(self, events: list[DomainEvent]) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


def repositories() -> dict[str, type[Any]]:
    """Each repository attribute of `UnitOfWork` and the entity it holds (its annotations)."""
    return {name: _entity(hint) for name, hint in get_type_hints(UnitOfWork).items()}


def _entity(hint: Any) -> type[Any]:
    for alias in (hint, *getattr(hint, "__orig_bases__", ())):  # Repository[X] or a subclass
        if get_origin(alias) is Repository:
            entity: type[Any] = get_args(alias)[0]
            return entity
    raise TypeError(f"{hint!r} is not a Repository")
