from __future__ import annotations

from serving.recommend.experiments import assign, bucket
from serving.recommend.model_registry import Served
from serving.recommend.served import ServedModel


def served(version: str, alias: str) -> ServedModel:
    return ServedModel(name="m", version=version, alias=alias, model=None,  # type: ignore[arg-type]
                       loaded_at=0.0)


def test_bucket_is_stable_and_uniform():
    assert bucket("alice") == bucket("alice")
    share = sum(bucket(f"user{i}") < 0.2 for i in range(20_000)) / 20_000
    assert 0.18 < share < 0.22


def test_challenger_share():
    both = Served(champion=served("1", "champion"), challenger=served("2", "challenger"))
    users = [f"user{i}" for i in range(2000)]
    assert {assign(u, both, 0.0).variant for u in users} == {"champion"}
    assert {assign(u, both, 1.0).variant for u in users} == {"challenger"}
    at_30 = {u for u in users if assign(u, both, 0.3).variant == "challenger"}
    at_50 = {u for u in users if assign(u, both, 0.5).variant == "challenger"}
    assert at_30 < at_50  # raising the share only moves users to the challenger
    only_champion = Served(champion=served("1", "champion"))
    assert assign("user1", only_champion, 1.0).model.version == "1"
