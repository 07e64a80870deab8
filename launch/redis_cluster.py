"""A Redis Cluster of three masters on free local ports (`agora stack --redis-cluster`, and
the tests of the store on a cluster): `redis-server --cluster-enabled yes` per node in a
folder of its own, then `redis-cli --cluster create ... --cluster-replicas 0`.

No replicas: a master that dies takes its slots with it. This is for running the store's
code on a real cluster (slots, MOVED, CROSSSLOT), not for availability.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from launch.broker import free_port

MASTERS = 3


def cluster_tools() -> tuple[str, str] | None:
    """`redis-server` and `redis-cli`, or None when either is not installed."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    return (server, cli) if server and cli else None


@dataclass(kw_only=True)
class LocalRedisCluster:
    folder: Path
    masters: int = MASTERS
    ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The store's URL of this cluster (any node; the client discovers the others)."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def start(self, spawn: Callable[[str, list[str]], subprocess.Popen[bytes]] | None = None
              ) -> LocalRedisCluster:
        """Start the nodes (through `spawn(name, argv)` when the caller tracks its children)
        and join them; returns once every node says `cluster_state:ok`."""
        tools = cluster_tools()
        if tools is None:
            raise RuntimeError("redis-server and redis-cli are needed for a Redis Cluster "
                               "(apt-get install redis-server redis-tools)")
        server, cli = tools
        for _ in range(self.masters):
            port, bus = free_port(), free_port()  # the bus port too: port + 10000 may not exist
            node = self.folder / f"redis-{port}"
            node.mkdir(parents=True, exist_ok=True)
            argv = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--cluster-enabled", "yes",
                    "--cluster-port", str(bus),
                    "--cluster-config-file", str(node / "nodes.conf"), "--dir", str(node),
                    "--cluster-node-timeout", "5000"]
            if spawn is not None:
                proc = spawn(f"redis-cluster-{port}", argv)
            else:
                log = (node / "redis.log").open("ab")
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
                log.close()
            self.ports.append(port)
            self.procs.append(proc)
        for port in self.ports:
            self._wait(cli, port, lambda out: out.strip() == "PONG", "PING")
        subprocess.run([cli, "--cluster", "create",
                        *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        for port in self.ports:
            self._wait(cli, port, lambda out: "cluster_state:ok" in out, "CLUSTER", "INFO")
        return self

    def _wait(self, cli: str, port: int, ok: Callable[[str], bool], *command: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run([cli, "-p", str(port), *command], capture_output=True,
                                  text=True, timeout=5)
            if ok(done.stdout):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis node {port}: {' '.join(command)} answered "
                                   f"{done.stdout.strip()!r}")
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
