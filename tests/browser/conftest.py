"""Real-browser harness: one `streamlit run app.py` server and one headless Chromium per test run.

Every page's browser test reuses these fixtures:

- ``app_url``: base URL of a Streamlit server started on a free localhost port.
- ``browser``: a Playwright Chromium (Debian's ``/usr/bin/chromium``; Playwright cannot download
  its own browser here).
- ``page``: a fresh page (own context, so no cookies or session shared between tests).
- ``open_page(page, path)``: go to ``app_url + path`` and wait until Streamlit has finished
  running the script.
- ``screenshot(page, name)``: save ``test-artifacts/screenshots/<name>.png``.

Tests are skipped (not failed) only when Chromium or Playwright is missing; `.ci/run` installs
both, so in CI they run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, ROOT

CHROMIUM = os.environ.get("BILSTM_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = ARTIFACTS / "screenshots"
#: Height of Streamlit's scrolling containers (main area and sidebar), for full-page shots.
CONTENT_HEIGHT_JS = """() => Math.max(0, ...Array.from(document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stSidebarContent"]')).map(e => e.scrollHeight))"""
SKELETON_TIMEOUT_MS = 30_000  # how long to wait for lazily loaded elements to replace skeletons
SERVER_START_TIMEOUT = 120  # seconds; TensorFlow is not imported at start-up, but CI is slow


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_streamlit(
    port: int, log_path: Path, extra_args: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``streamlit run app.py`` on ``port`` and wait for its health endpoint."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            *(extra_args or []),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(
        f"streamlit did not become healthy in {SERVER_START_TIMEOUT}s; see {log_path}"
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Base URL of a `streamlit run app.py` server shared by the browser tests."""
    port = free_port()
    process = start_streamlit(port, ARTIFACTS / "streamlit-server.log")
    yield f"http://127.0.0.1:{port}"
    stop_process(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh page in its own browser context."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def wait_for_app(page: object, timeout_ms: int = 90_000) -> None:
    """Wait until Streamlit has rendered and finished running the script."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)  # type: ignore[attr-defined]
    # The app root reports its script state; the status widget alone appears too late to
    # cover a script that is about to start.
    page.wait_for_selector(  # type: ignore[attr-defined]
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]',
        timeout=timeout_ms,
    )
    # While a script runs Streamlit shows a status widget ("Running…", or in 1.67 a running
    # figure with a "Stop" button); wait for it to go away.
    page.wait_for_function(  # type: ignore[attr-defined]
        """() => {
            const status = document.querySelector('[data-testid="stStatusWidget"]');
            const text = status ? status.innerText.toLowerCase() : '';
            return !text.includes('running') && !text.includes('stop');
        }""",
        timeout=timeout_ms,
    )
    # Streamlit loads each element type's code on first use and shows a grey skeleton until
    # then; on a busy machine that lags the script run by seconds. Wait for them to go (best
    # effort: a page may legitimately keep one, so never fail here).
    with contextlib.suppress(Exception):  # a timeout here is not a test failure
        page.wait_for_function(  # type: ignore[attr-defined]
            "() => !document.querySelector('[data-testid=\"stSkeleton\"]')",
            timeout=min(timeout_ms, SKELETON_TIMEOUT_MS),
        )
    page.wait_for_timeout(300)  # type: ignore[attr-defined]


@pytest.fixture()
def open_page(app_url: str) -> Callable[[object, str], None]:
    """Open ``app_url + path`` in ``page`` and wait for the script run to finish."""

    def _open(page: object, path: str = "/") -> None:
        page.goto(app_url + path, timeout=90_000)  # type: ignore[attr-defined]
        wait_for_app(page)

    return _open


@pytest.fixture()
def screenshot() -> Callable[[object, str], Path]:
    """Save a full-page screenshot under ``test-artifacts/screenshots``."""

    def _shot(page: object, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # Streamlit scrolls inside its own main/sidebar containers, so `full_page` alone stops
        # at the viewport; grow the viewport to the content for the shot, then restore it.
        viewport = page.viewport_size  # type: ignore[attr-defined]
        height = page.evaluate(CONTENT_HEIGHT_JS)  # type: ignore[attr-defined]
        if viewport and height > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": min(height, 16_000)})  # type: ignore[attr-defined]
            page.wait_for_timeout(800)  # type: ignore[attr-defined]  # let charts re-layout
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        if viewport and height > viewport["height"]:
            page.set_viewport_size(viewport)  # type: ignore[attr-defined]
        return path

    return _shot
