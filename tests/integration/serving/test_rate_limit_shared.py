"""Shared rate limits: two `agora serve` processes on one Redis enforce one budget per caller;
random keys are limited like anonymous callers; a Redis that dies is no 5xx."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from agora.settings import ServingSettings
from launch.broker import free_port
from tests.integration.serving.conftest import OwnRedis, wait_until
from tests.unit.serving.conftest import app_state, serving_client

pytestmark = pytest.mark.integration

ADMIN = "shared-limit-admin-0123456789"
BUDGET = 10
MONTH_S = 30 * 86_400


def serve(tmp: Path, *, port: int, redis_url: str, prefix: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AGORA_DATA_DIR": str(tmp), "AGORA_REDIS_URL": "",
           "AGORA_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "AGORA_ADMIN_API_KEY": ADMIN,
           "AGORA_MODEL_POLL_S": "3600", "AGORA_RATE_LIMIT_REDIS_URL": redis_url,
           "AGORA_RATE_LIMIT_KEY_PREFIX": prefix, "AGORA_RATE_LIMIT_BURST": str(BUDGET),
           "AGORA_RATE_LIMIT_PER_S": str(BUDGET / MONTH_S),
           "AGORA_RATE_LIMIT_REDIS_TIMEOUT_S": "2"}
    log = (tmp / "serve.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "launch.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def two_apis(tmp_path, redis_url) -> Iterator[list[str]]:
    prefix = f"test:ratelimit:{uuid.uuid4().hex[:8]}"
    ports = [free_port(), free_port()]
    procs = []
    for n, port in enumerate(ports):
        (tmp_path / f"api{n}").mkdir()
        procs.append(serve(tmp_path / f"api{n}", port=port, redis_url=redis_url, prefix=prefix))
    bases = [f"http://127.0.0.1:{port}" for port in ports]

    def up(base: str) -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        for n, (base, proc) in enumerate(zip(bases, procs, strict=True)):
            def started(b: str = base, p: subprocess.Popen[bytes] = proc) -> bool:
                return up(b) or p.poll() is not None

            wait_until(started, 120, "agora serve")
            assert proc.poll() is None, (tmp_path / f"api{n}" / "serve.log").read_text()[-3000:]
        yield bases
        client = redis.Redis.from_url(redis_url)
        assert list(client.scan_iter(f"{prefix}*", count=1000)), "no bucket in Redis"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}*", count=1000):
            client.delete(key)


def from_address(address: str) -> httpx.Client:
    """A client whose requests come from `address` (any of 127.0.0.0/8): one budget each."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def statuses(client: httpx.Client, bases: list[str], headers: list[dict[str, str]]) -> Counter:
    """Each request to the next API process in turn."""
    return Counter(client.get(f"{bases[n % 2]}/v1/models", headers=h).status_code
                   for n, h in enumerate(headers))


def test_two_processes_enforce_one_budget(two_apis) -> None:
    with from_address("127.0.0.2") as client:
        anonymous = statuses(client, two_apis, [{}] * 1000)
    with from_address("127.0.0.3") as client:
        junk = statuses(client, two_apis,
                        [{"X-API-Key": secrets.token_hex(16)} for _ in range(1000)])
    with from_address("127.0.0.4") as client:
        admin = statuses(client, two_apis, [{"X-API-Key": ADMIN}] * (3 * BUDGET))
        # the key's budget is spent, its address's is not: junk keys from there spend that
        invalid = statuses(client, two_apis,
                           [{"X-API-Key": f"junk-{n}"} for n in range(BUDGET)])
        after = [client.get(f"{base}/v1/trending", params={"domain": "commerce"})
                 for base in two_apis]
    assert anonymous == {401: BUDGET, 429: 1000 - BUDGET}
    assert junk == anonymous
    assert admin == {200: BUDGET, 429: 2 * BUDGET}
    assert invalid == {401: BUDGET}
    assert [r.status_code for r in after] == [429, 429]
    assert all(int(r.headers["retry-after"]) >= 1 for r in after)


def test_a_dead_redis_is_no_5xx_and_limits_stay_in_process(tmp_path) -> None:
    own = OwnRedis()
    own.start()
    settings = ServingSettings(
        data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}", model_poll_s=3600,
        redis_url=None, rate_limit_redis_url=own.url, rate_limit_per_s=5 / MONTH_S,
        rate_limit_burst=5, rate_limit_redis_timeout_s=0.5, rate_limit_redis_retry_s=0.5)
    try:
        with serving_client(settings, None) as client:
            limiter = app_state(client).rate_limiter
            trending = {"domain": "commerce"}
            # the admin key's budget: the client's reload spent 1 of 5, these 3 more
            first = [client.get("/v1/trending", params=trending) for _ in range(3)]
            assert [r.status_code for r in first] == [200] * 3
            assert redis.Redis(port=own.port).keys("agora:ratelimit*")  # the buckets are there
            own.stop()
            down = Counter(client.get("/v1/trending", params=trending).status_code
                           for _ in range(8))
            assert down == {200: 5, 429: 3}  # a fresh budget in process, no 5xx
            errors = app_state(client).metrics.registry.get_sample_value(
                "agora_rate_limit_storage_errors_total")
            assert errors and errors >= 1
            own.start()  # an empty Redis on the same port: shared buckets again
            wait_until(lambda: client.get("/v1/trending", params=trending).status_code == 200
                       and limiter.shared, 30, "shared buckets back")
            assert redis.Redis(port=own.port).keys("agora:ratelimit*")
    finally:
        own.stop()


def test_leases_of_two_replicas_stay_within_one_budget(redis_url) -> None:
    """Budgets of 200 and more are spent in leases: never past the budget, and at most
    `size - 1` requests a replica short of it."""
    import asyncio

    from serving.edge.rate_limit import RateLimiter, budget

    prefix = f"test:ratelimit:{uuid.uuid4().hex[:8]}"

    async def run() -> int:
        replicas = [RateLimiter(item=budget(per_s=1000 / MONTH_S, burst=1000),
                                redis_url=redis_url, key_prefix=prefix, timeout_s=2)
                    for _ in range(2)]
        for replica in replicas:
            await replica.open()
        try:
            waits = [await replicas[n % 2].wait_s("key:shop") for n in range(1500)]
        finally:
            for replica in replicas:
                await replica.close()
        return sum(w == 0.0 for w in waits)

    try:
        admitted = asyncio.run(run())
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}*", count=1000):
            client.delete(key)
    assert 1000 - 2 * 9 <= admitted <= 1000


def test_concurrent_requests_of_a_caller_share_one_lease(redis_url) -> None:
    """A caller's requests that find its lease spent at the same moment wait for one
    reservation instead of each reserving (and losing) a lease: the whole budget is admitted,
    with one Redis reservation a lease."""
    import asyncio

    from serving.edge.rate_limit import RateLimiter, budget

    prefix = f"test:ratelimit:{uuid.uuid4().hex[:8]}"

    async def run() -> tuple[int, int]:
        limiter = RateLimiter(item=budget(per_s=1000 / MONTH_S, burst=1000),
                              redis_url=redis_url, key_prefix=prefix, timeout_s=2)
        await limiter.open()
        assert limiter._leases.size == 10
        shared = limiter._shared
        assert shared is not None
        calls = 0
        hit = shared.hit

        async def counted(*args, **kwargs):  # the real call, counted
            nonlocal calls
            calls += 1
            return await hit(*args, **kwargs)

        shared.hit = counted  # type: ignore[method-assign]
        try:
            admitted = 0
            for _ in range(40):  # 40 waves of 32 concurrent requests: 1,280 for 1,000
                waits = await asyncio.gather(*(limiter.wait_s("key:shop") for _ in range(32)))
                admitted += sum(w == 0.0 for w in waits)
            return admitted, calls
        finally:
            await limiter.close()

    try:
        admitted, calls = asyncio.run(run())
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}*", count=1000):
            client.delete(key)
    assert admitted == 1000
    # one reservation a lease while the budget lasts; past it, one call per refused request
    # (a refused reservation, then the request's own) and the last lease's remainder
    assert calls <= 1000 // 10 + 2 * (40 * 32 - 1000) + 10
