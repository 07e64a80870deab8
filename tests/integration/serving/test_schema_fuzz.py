"""schemathesis against the OpenAPI schema: no 5xx, and every 4xx carries a `detail`."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from agora.broker import free_port
from agora.settings import ServingSettings
from serving.app import create_app
from tests.unit.serving.conftest import (
    ADMIN_KEY,
    FakeSource,
    generated_interactions,
    install_keys,
)

pytestmark = pytest.mark.integration

FUZZED = r"^/v1/(users|items|rank|events|models|trending|health)"


@schemathesis.check
def four_xx_has_detail(ctx, response, case):
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and body.get("detail"), (
            f"{response.status_code} without a detail: {response.text[:200]}")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from models.catalog import build

    settings_ = ServingSettings(data_dir=tmp_path_factory.mktemp("fuzz"),
                                kafka_bootstrap=f"127.0.0.1:{free_port()}", model_poll_s=3600,
                                rate_limit_per_s=1e9, rate_limit_burst=10**9)
    application = create_app(settings_)
    application.state.model_source = FakeSource(
        aliases={"champion": "1"}, versions={"1": build("item_knn").fit(generated_interactions())})
    with TestClient(application, headers={"X-API-Key": ADMIN_KEY}) as client:
        install_keys(application)
        client.post("/v1/models/reload")
        yield application


def test_api_never_answers_5xx(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=FUZZED)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def fuzz(case):
            case.call_and_validate(headers={"X-API-Key": ADMIN_KEY},
                                   checks=[not_a_server_error, four_xx_has_detail])

        fuzz()
