"""Acknowledged low-stock alerts, kept in the online store so every API replica sees them."""

from __future__ import annotations

from features.online import OnlineStore, SetFields, WriteBatch

ACKS_KEY = "ops:low_stock:acks"


class AlertAcks:
    def __init__(self, *, store: OnlineStore) -> None:
        self._store = store

    async def acknowledge(self, product_id: str, at: float) -> None:
        await self._store.apply(WriteBatch([SetFields(key=ACKS_KEY, values={product_id: at})]))

    async def all(self) -> dict[str, float]:
        """Product id -> when its alert was last acknowledged (Unix seconds)."""
        out = {}
        for product_id, at in (await self._store.get_fields(ACKS_KEY)).items():
            try:
                out[product_id] = float(at)
            except ValueError:
                continue
        return out
