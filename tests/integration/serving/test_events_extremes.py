"""`POST /v1/events` with hostile events (the contract tests' extremes: numbers at and beyond
every bound, dates at the edges of every offset, huge and control-character strings, invalid
UTF-8, deep nesting, duplicate keys) through the real app and a real broker: never a 5xx.
An accepted batch is acknowledged in full; a refused one names each bad event's field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora.settings import ServingSettings
from launch.broker import EmbeddedBroker
from tests.integration.serving.conftest import wait_until
from tests.unit.contracts.test_bounds import hostile
from tests.unit.serving.conftest import serving_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory,
           session_broker: EmbeddedBroker) -> Iterator[TestClient]:
    settings_ = ServingSettings(data_dir=tmp_path_factory.mktemp("extremes"), redis_url=None,
                                kafka_bootstrap=session_broker.bootstrap, model_poll_s=3600,
                                rate_limit_per_s=1e9, rate_limit_burst=10**9)
    with serving_client(settings_, None) as c:
        wait_until(lambda: c.app.state.publisher.available, 30, "producer connected")  # type: ignore[attr-defined]
        yield c


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(st.lists(hostile(), min_size=1, max_size=3))
def test_hostile_events_never_get_a_5xx(client: TestClient, cases) -> None:
    body = b'{"events": [' + b", ".join(raw for _, raw, _, _ in cases) + b"]}"
    r = client.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, r.text[:500]
    assert r.status_code in (202, 400, 413, 422), r.text[:500]
    answer = r.json()
    if r.status_code == 202:
        assert answer["accepted"] == len(cases)
    elif r.status_code == 422 and isinstance(answer["detail"], list) \
            and "index" in answer["detail"][0]:  # per-event errors (else the body's own)
        assert {e["index"] for e in answer["detail"]} <= set(range(len(cases)))
        assert all(e["field"] for e in answer["detail"])
