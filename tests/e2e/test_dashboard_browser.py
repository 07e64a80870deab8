"""The dashboard in a real browser (Debian's Chromium driven by Playwright) while `agora demo`
runs: tiles change as events flow, they show what the analytics API serves, a low-stock alert
can be acknowledged, and nothing is fetched from outside. Screenshots go to
$AGORA_SCREENSHOT_DIR (default var/screenshots)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from launch.broker import free_port

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("AGORA_SCREENSHOT_DIR", "var/screenshots"))
TILES = (
    "events_per_s",
    "orders_per_min",
    "gmv_per_min",
    "active_users",
    "listen_through",
    "moderation_queue",
    "dead_letters",
    "consumer_lag",
)


def require_browser() -> Any:
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    elif shutil.which("chromium") is None and not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is not executable"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = reason or "the playwright Python package is not installed (pip install -e .[dev])"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it")
        pytest.skip(reason)
    return sync_playwright


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    """`agora demo` on free ports; yields the API's base URL once analytics flow."""
    api_port = free_port()
    env = {**os.environ, "AGORA_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "launch.cli",
            "demo",
            "--broker-port",
            str(free_port()),
            "--api-port",
            str(api_port),
            "--rate",
            "300",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # ends if the demo dies during start-up
            if line.startswith(b"api: "):
                break
        assert proc.poll() is None, "agora demo exited during start-up"
        yield f"http://127.0.0.1:{api_port}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tile_values(page: Any) -> dict[str, str]:
    return {key: page.locator(f'[data-figure="{key}"] .value').inner_text() for key in TILES}


def test_tiles_follow_the_events_and_match_the_api(demo: str) -> None:
    sync_playwright = require_browser()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            requested: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{demo}/dashboard")
            page.wait_for_selector('[data-testid="status"].live', timeout=30_000)
            # Wait until every tile has a figure and events have reached the counters.
            page.wait_for_function(
                """() => document.querySelectorAll('#kpis .tile.na').length === 0
                   && Object.values(window.agoraLastOverview.events_per_s)
                        .reduce((s, f) => s + f.value, 0) > 0
                   && window.agoraLastOverview.active_users.value > 0""",
                timeout=90_000,
            )
            first = tile_values(page)
            first_at = page.locator('[data-testid="as-of"]').inner_text()
            page.screenshot(path=str(SCREENSHOTS / "dashboard-laptop-1.png"), full_page=True)

            # Tiles change while events flow: the stream pushes about every second.
            page.wait_for_function(
                """([first, at]) => document.querySelector('[data-testid="as-of"]').textContent
                     !== at && Object.entries(first).some(([k, v]) => document.querySelector(
                     `[data-figure="${k}"] .value`).textContent !== v)""",
                arg=[first, first_at],
                timeout=30_000,
            )
            second = tile_values(page)
            changed = [k for k in TILES if first[k] != second[k]]
            assert changed, (first, second)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-laptop-2.png"), full_page=True)

            # What the page shows is what the analytics API serves.
            # Read in one go, so no push lands between the data and the tile.
            shown, tile, formatted = page.evaluate("""() => {
                const o = window.agoraLastOverview;
                return [o, document.querySelector('[data-figure="orders_per_min"] .value')
                          .textContent, FMT.count(o.orders_per_min.value)]; }""")
            assert tile == formatted
            api = httpx.get(f"{demo}/v1/analytics/overview", timeout=10).json()
            assert set(shown) == set(api)
            assert shown["missing"] == [] == api["missing"]
            for overview in (shown, api):
                assert sum(f["value"] for f in overview["events_per_s"].values()) > 0
                assert overview["active_users"]["value"] > 0

            # Acknowledge a low-stock alert from the page; the API then reports it acknowledged.
            button = page.locator("button[data-ack]").first
            button.wait_for(timeout=90_000)
            product = button.get_attribute("data-ack")
            button.click()
            page.wait_for_function(
                '(p) => !document.querySelector(`button[data-ack="${p}"]`)',
                arg=product,
                timeout=15_000,
            )
            alerts = httpx.get(f"{demo}/v1/analytics/overview", timeout=10).json()["low_stock"]
            assert any(a["product_id"] == product and a["acknowledged"] for a in alerts)

            page.set_viewport_size({"width": 3840, "height": 2160})
            page.wait_for_timeout(1500)  # one push, so the charts redraw at the new size
            page.screenshot(path=str(SCREENSHOTS / "dashboard-wall.png"))

            assert not errors, errors
            outside = [u for u in requested if not u.startswith((demo, "data:"))]
            assert not outside, outside
        finally:
            browser.close()
