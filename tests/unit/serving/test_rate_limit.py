"""Rate limits keyed on who the caller proved to be (in process; shared buckets are in
tests/integration/serving/test_rate_limit_shared.py): junk keys spend their address's budget."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from launch.broker import free_port
from serving.app import create_app
from serving.edge.rate_limit import RateLimiter, budget
from tests.unit.serving.conftest import app_state

HOT = "/v1/users/u1/recommendations"


MONTH_S = 30 * 86_400


def limited(tmp_path, requests: int) -> ServingSettings:
    """`requests` per caller in a month: nothing comes back during a test (in-process windows
    are aligned on the epoch, so a short window could roll over mid-test)."""
    return ServingSettings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}",
                           model_poll_s=3600, redis_url=None,
                           rate_limit_per_s=requests / MONTH_S, rate_limit_burst=requests)


@contextmanager
def api(settings: ServingSettings) -> Iterator[tuple[TestClient, str]]:
    """The app with the core's own key ring (SQLite) and one real storefront key in it."""
    from core.service_layer.commands import IssueApiKey

    with TestClient(create_app(settings)) as client:
        issued = app_state(client).core.handle(IssueApiKey(name="shop", scopes=("storefront",)))
        yield client, issued["key"]


def statuses(client: TestClient, headers: list[dict[str, str]], path: str = HOT) -> Counter:
    return Counter(client.get(path, headers=h).status_code for h in headers)


def test_random_keys_are_limited_like_anonymous_callers(tmp_path) -> None:
    allowed = 40
    with api(limited(tmp_path / "a", allowed)) as (client, _):
        anonymous = statuses(client, [{}] * 1000)
    with api(limited(tmp_path / "b", allowed)) as (client, key):
        ok = statuses(client, [{"X-API-Key": key}] * 5)
        junk = statuses(client, [{"X-API-Key": secrets.token_hex(16)} for _ in range(1000)])
        # junk paid for at most `allowed` database lookups, and left the real key's budget be
        assert len(app_state(client).api_keys._unknown) <= allowed
        ok += statuses(client, [{"X-API-Key": key}] * allowed)
        refused = client.get(HOT, headers={"X-API-Key": secrets.token_hex(16)})
    assert anonymous == {401: allowed, 429: 1000 - allowed}
    assert junk == anonymous
    assert ok[200] == allowed and ok[429] == 5  # one budget, spent only by the key itself
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_an_invalid_key_is_a_401_that_spends_its_address(tmp_path) -> None:
    with api(limited(tmp_path, 3)) as (client, key):
        assert client.get(HOT, headers={"X-API-Key": key}).status_code == 200  # in use
        junk = [client.get(HOT, headers={"X-API-Key": f"junk-{n}"}) for n in range(3)]
        assert [r.status_code for r in junk] == [401, 401, 401]
        assert "unknown or revoked" in junk[0].json()["detail"]
        anonymous = client.get("/v1/trending", params={"domain": "commerce"})
        assert anonymous.status_code == 429 and "rate limit" in anonymous.json()["detail"]
        # a key in use keeps its own budget (even once its cache entry expires: it was valid)
        assert client.get(HOT, headers={"X-API-Key": key}).status_code == 200
        assert client.get("/healthz").status_code == 200  # probes are exempt
        metrics = app_state(client).metrics.registry
        assert metrics.get_sample_value("agora_http_rate_limited_total",
                                        {"caller": "address"}) == 1


def test_one_budget_per_key_however_it_is_presented(tmp_path) -> None:
    from core.service_layer.commands import IssueApiKey

    with api(limited(tmp_path, 4)) as (client, key):
        other = app_state(client).core.handle(IssueApiKey(name="b", scopes=("storefront",)))
        presented = [{"X-API-Key": key}, {"Authorization": f"Bearer {key}"}] * 2
        assert statuses(client, presented) == {200: 4}
        assert client.get(HOT, headers={"Authorization": f"Bearer {key}"}).status_code == 429
        assert client.get(HOT, headers={"X-API-Key": other["key"]}).status_code == 200
        assert app_state(client).metrics.registry.get_sample_value(
            "agora_http_rate_limited_total", {"caller": "key"}) == 1


def test_a_dead_redis_falls_back_to_process_buckets() -> None:
    errors: list[int] = []

    async def run() -> list[float]:
        limiter = RateLimiter(item=budget(per_s=2 / 3600, burst=2),
                              redis_url=f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2,
                              retry_s=60, on_storage_error=lambda: errors.append(1))
        await limiter.open()
        try:
            waits = [await limiter.wait_s("addr:a") for _ in range(3)]
            assert not limiter.shared  # not retried before `retry_s`
            return waits
        finally:
            await limiter.close()

    waits = asyncio.run(run())
    assert waits[:2] == [0.0, 0.0] and waits[2] >= 1.0  # still limited, in process
    assert errors == [1]


def test_leases_admit_the_whole_budget_and_no_more() -> None:
    async def run() -> int:
        limiter = RateLimiter(item=budget(per_s=1000 / MONTH_S, burst=1000))
        await limiter.open()
        assert limiter._leases.size == 10  # a busy caller asks the storage once in 10
        waits = [await limiter.wait_s("key:a") for _ in range(1100)]
        return sum(w == 0.0 for w in waits)

    assert asyncio.run(run()) == 1000
