"""`agora relay`'s /metrics: the outbox backlog, read at scrape time; a dead database is
reported, not a failed scrape."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from core.entrypoints.relay_metrics import serve_relay_metrics
from core.migrations import upgrade
from launch.broker import free_port


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        return resp.read().decode()


def test_relay_metrics_report_the_backlog(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'core.db'}"
    upgrade(url, "head")
    port = free_port()
    serve_relay_metrics(database_url=url, port=port, bind="127.0.0.1")
    text = scrape(port)
    assert "agora_relay_outbox_pending_messages 0.0" in text
    assert "agora_relay_database_up 1.0" in text


def test_an_unreadable_database_is_reported(tmp_path: Path) -> None:
    port = free_port()
    serve_relay_metrics(database_url=f"sqlite:///{tmp_path / 'none.db'}", port=port,
                        bind="127.0.0.1")
    assert "agora_relay_database_up 0.0" in scrape(port)
