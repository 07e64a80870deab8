"""Alias following: load beside, swap atomically, no failed request during the swap."""

from __future__ import annotations

import asyncio
import threading

from serving.recommend.model_registry import ModelRegistry
from serving.recommend.service import Query, RecommendationService
from serving.recommend.signals import UserContext
from tests.unit.serving.conftest import FakeSource


class NoSignals:
    async def recent(self, user_id):
        return []

    async def out_of_stock(self, items):
        return set()


class NoPopular:
    async def trending(self, domain, k):
        return [], True

    async def popular(self, **kwargs):
        return [], True


async def test_swap_is_atomic_and_no_request_fails(knn_model, popularity_model):
    gate = threading.Event()

    class SlowSource(FakeSource):
        def load(self, version):
            if version == "2":
                gate.wait(5)
            return super().load(version)

    source = SlowSource(aliases={"champion": "1"},
                        versions={"1": knn_model, "2": popularity_model})
    seen: list = []
    registry = ModelRegistry(source=source, poll_s=3600, on_change=seen.append)
    await registry.refresh()
    assert registry.current.champion.version == "1"
    service = RecommendationService(registry=registry, signals=NoSignals(),
                                    popular=NoPopular(), challenger_share=0.0,
                                    store_timeout_s=1.0)
    source.aliases["champion"] = "2"
    swap = asyncio.create_task(registry.refresh())
    versions = set()
    for n in range(200):
        if n == 100:
            gate.set()
        outcome = await service.for_user("u1", Query(k=5))
        assert outcome.items and not outcome.fallbacks
        versions.add(outcome.model.version)
        await asyncio.sleep(0.001 if n < 100 else 0)
    await swap
    assert registry.current.champion.version == "2"
    assert versions <= {"1", "2"} and "1" in versions
    assert [s.champion.version for s in seen] == ["1", "2"]
    assert source.loads == 2
    await registry.refresh()  # nothing changed: nothing reloaded
    assert source.loads == 2


async def test_challenger_reuses_a_loaded_version(knn_model):
    source = FakeSource(aliases={"champion": "1", "challenger": "1"}, versions={"1": knn_model})
    registry = ModelRegistry(source=source, poll_s=3600)
    await registry.refresh()
    assert registry.current.challenger.alias == "challenger"
    assert registry.current.challenger.model is registry.current.champion.model
    assert source.loads == 1


async def test_registry_down_keeps_the_models(knn_model):
    source = FakeSource(aliases={"champion": "1"}, versions={"1": knn_model})
    registry = ModelRegistry(source=source, poll_s=3600)
    await registry.refresh()

    def down(alias):
        raise ConnectionError("registry down")

    source.version_of = down
    await registry.refresh()
    assert registry.current.champion.version == "1"
    assert registry.status["champion"].startswith("registry unavailable")


def test_user_context_defaults():
    assert UserContext().history == [] and UserContext().degraded is None
