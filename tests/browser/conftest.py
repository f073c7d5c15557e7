"""Real-browser fixtures: one `streamlit run app.py` server and one headless Chromium per run.

Every page's browser test reuses these fixtures (the helpers behind them live in `labharness`):

- ``app_url``: base URL of a Streamlit server started on a free localhost port.
- ``browser``: a Playwright Chromium (Debian's ``/usr/bin/chromium``; Playwright cannot download
  its own browser here).
- ``page``: a fresh page (own context, so no cookies or session shared between tests).
- ``projector``: the same at a classroom projector's 1280×720.
- ``open_page(page, path)``: go to ``app_url + path`` and wait until Streamlit has finished
  running the script.
- ``screenshot(page, name)``: save ``test-artifacts/screenshots/<name>.png``.

Tests are skipped (not failed) only when Chromium or Playwright is missing; `.ci/run` installs
both, so in CI they run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labharness.browser import (
    CHROMIUM,
    DESKTOP_VIEWPORT,
    PROJECTOR_VIEWPORT,
    chromium_available,
    full_page_screenshot,
    launch_options,
    wait_for_app,
)
from labharness.paths import ARTIFACTS
from labharness.server import StreamlitServer, streamlit_server


@pytest.fixture(scope="session")
def app_server() -> Iterator[StreamlitServer]:
    """A `streamlit run app.py` server shared by the browser tests (its pid for /proc checks)."""
    with streamlit_server(ARTIFACTS / "streamlit-server.log") as server:
        yield server


@pytest.fixture(scope="session")
def app_url(app_server: StreamlitServer) -> str:
    """Base URL of the shared server."""
    return app_server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium driven by Playwright."""
    if not chromium_available():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(**launch_options())
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh page in its own browser context."""
    context = browser.new_context(viewport=DESKTOP_VIEWPORT)  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture()
def projector(browser: object) -> Iterator[object]:
    """A fresh page at a classroom projector's 1280×720, in its own browser context."""
    context = browser.new_context(viewport=PROJECTOR_VIEWPORT)  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


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
    return full_page_screenshot
