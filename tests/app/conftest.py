"""Fixtures for the app tests: AppTest on each page, and a live server plus Chromium for the browser test."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[2]
MAIN_SCRIPT = REPO_ROOT / "app" / "streamlit_app.py"
CUBOID_PAGE = "app_pages/cuboid_attention.py"  # relative to the main script, as st.navigation sees it
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]


def plotly_specs(at: AppTest) -> list[dict]:
    """The figure JSON of every plotly chart the last run drew, in page order."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.fixture
def home() -> AppTest:
    return AppTest.from_file(str(MAIN_SCRIPT), default_timeout=60).run()


@pytest.fixture
def cuboid_page(home: AppTest) -> AppTest:
    return home.switch_page(CUBOID_PAGE).run()


# ----------------------------------------------------------------------------- real browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; missing it fails under CI (which must install it) and skips elsewhere."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install it with `apt-get install -y chromium`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def streamlit_server(tmp_path: Path):
    """Base URL of ``streamlit run app/streamlit_app.py`` on a fresh port; stopped by its own PID."""
    port = _free_port()
    log = open(tmp_path / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py", "--server.headless=true",
         "--server.address=127.0.0.1", f"--server.port={port}"],
        cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not become healthy:\n{(tmp_path / 'streamlit.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextlib.contextmanager
def offline_page(chromium: Path, server: str, height: int):
    """A Chromium page on ``server`` that records every request leaving it.

    Yields ``(page, outside)``; the test asserts ``not outside`` (the app must work offline:
    no CDN fonts, icons, scripts, map tiles or topojson).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": height})
            outside: list[str] = []
            page.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
            page.goto(server)
            yield page, outside
        finally:
            browser.close()
