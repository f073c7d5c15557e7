"""Headless Chromium through Playwright: the one launch config, viewports, waiting, screenshots.

Debian's ``/usr/bin/chromium`` (Playwright cannot download its own browser here); override with
``BILSTM_LAB_CHROMIUM``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from labharness.paths import ARTIFACTS

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
# Many renderers at once exhaust the small /dev/shm of a container; use /tmp instead.
CROWD_CHROMIUM_ARGS = [*CHROMIUM_ARGS, "--disable-dev-shm-usage"]

#: One page per test (the ``page`` fixture).
DESKTOP_VIEWPORT = {"width": 1400, "height": 1000}
#: One of many simultaneous students (`labharness.browser_sessions`).
SESSION_VIEWPORT = {"width": 1280, "height": 900}
#: A classroom projector.
PROJECTOR_VIEWPORT = {"width": 1280, "height": 720}

SCREENSHOTS = ARTIFACTS / "screenshots"
#: Height of Streamlit's scrolling containers (main area and sidebar), for full-page shots.
#: (A collapsed sidebar is squeezed to almost no width and very tall: it does not count.)
CONTENT_HEIGHT_JS = """() => Math.max(0, ...Array.from(document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stSidebarContent"]'))
    .filter(e => e.getBoundingClientRect().width > 100).map(e => e.scrollHeight))"""
SKELETON_TIMEOUT_MS = 30_000  # how long to wait for lazily loaded elements to replace skeletons


def chromium_available() -> bool:
    """Whether the Chromium executable is there to launch."""
    return Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None


def launch_options(crowd: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch`` (sync or async API).

    ``crowd``: many contexts at once, so keep shared memory off ``/dev/shm``.
    """
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CROWD_CHROMIUM_ARGS if crowd else CHROMIUM_ARGS,
    }


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


def open_view(page: object, name: str) -> None:
    """Press one of the Explorer's view buttons (``Layer stack``, ``Code``…).

    The row of views is a segmented control: its buttons are radios named by their labels.
    The caller waits for what the view draws: the view shown before stays until the rerun
    replaces it.
    """
    page.get_by_role("radio", name=name, exact=True).click()  # type: ignore[attr-defined]


def full_page_screenshot(page: object, name: str, directory: Path = SCREENSHOTS) -> Path:
    """Save a screenshot of the whole page (main area and sidebar) as ``directory/<name>.png``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
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
