"""`agora broker`: serves metadata, creates every topic, stops cleanly on SIGINT."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import TOPICS
from launch.broker import free_port

pytestmark = pytest.mark.integration


async def topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_broker_command_lifecycle(sig: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "broker", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().decode().strip() == f"broker: 127.0.0.1:{port}"
        assert set(TOPICS) <= asyncio.run(topics(f"127.0.0.1:{port}"))
    finally:
        proc.send_signal(sig)
        assert proc.wait(15) == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
