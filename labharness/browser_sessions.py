"""Many simultaneous students as browser contexts against one Streamlit server (async Playwright).

Used by the concurrency test (`tests/browser/test_concurrency.py`). Each Explorer session opens
its own configuration in the URL, checks that it reads back its *own* totals (no cross-talk),
then changes the units control and times how long the page takes to show the new, correct
totals. Each training session presses Train on the Training Lab and waits for the verdict.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bilstm_lab.core.spec import ModelSpec
from labharness.async_run import run_async
from labharness.browser import SESSION_VIEWPORT, launch_options
from labharness.sessions import (
    EXPLORER_PATH,
    TOTAL_LABELS,
    UNITS_LABEL,
    SessionResult,
    expected_totals,
    session_spec,
)

TIMEOUT_MS = 180_000


async def _metric(page: object, label: str) -> str:
    locator = page.locator('[data-testid="stMetric"]', has_text=label)  # type: ignore[attr-defined]
    return (await locator.locator('[data-testid="stMetricValue"]').first.inner_text()).strip()


async def _wait_for_totals(page: object, spec: ModelSpec) -> None:
    uni, bi = expected_totals(spec)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    seen = ("", "")
    while time.monotonic() < deadline:
        try:
            seen = (await _metric(page, TOTAL_LABELS[0]), await _metric(page, TOTAL_LABELS[1]))
        except Exception:  # not painted yet
            seen = ("", "")
        if seen == (uni, bi):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected totals {(uni, bi)}, page shows {seen}")


async def run_session(
    browser: object, base_url: str, index: int, changes: int, screenshot_dir: Path | None
) -> SessionResult:
    """Open the Explorer as one student, read back the totals, then change units ``changes`` times."""
    result = SessionResult(index)
    context = await browser.new_context(viewport=SESSION_VIEWPORT)  # type: ignore[attr-defined]
    # Twenty renderers share two cores with the server: Playwright's 30 s default is too short.
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = await context.new_page()
        spec = session_spec(index)
        started = time.monotonic()
        await page.goto(
            f"{base_url}{EXPLORER_PATH}?{urlencode(spec.to_query())}", timeout=TIMEOUT_MS
        )
        await _wait_for_totals(page, spec)
        result.first_paint_s = time.monotonic() - started
        units_box = page.get_by_label(UNITS_LABEL, exact=True)
        for change in range(changes):
            new_spec = session_spec(index, units=spec.units[0] + 1 + change)
            started = time.monotonic()
            await units_box.fill(str(new_spec.units[0]))
            await units_box.press("Enter")
            await _wait_for_totals(page, new_spec)
            result.latencies_s.append(time.monotonic() - started)
        if screenshot_dir is not None and index == 0:
            screenshot_dir.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(screenshot_dir / "load-session-0.png"), full_page=True)
    except Exception as error:  # reported, and failed on, by the caller
        result.error = f"{type(error).__name__}: {error}"[:500]
    finally:
        await context.close()
    return result


async def _run_sessions(
    base_url: str, sessions: int, changes: int, screenshot_dir: Path | None
) -> list[SessionResult]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options(crowd=True))
        try:
            return list(
                await asyncio.gather(
                    *(
                        run_session(browser, base_url, i, changes, screenshot_dir)
                        for i in range(sessions)
                    )
                )
            )
        finally:
            await browser.close()


def run_sessions(
    base_url: str, sessions: int, changes: int = 3, screenshot_dir: Path | None = None
) -> list[SessionResult]:
    """Run ``sessions`` students at once; blocks until all are done.

    The event loop runs in a worker thread, so this also works next to the sync Playwright
    fixtures (which keep their own loop running in the calling thread).
    """
    return run_async(_run_sessions(base_url, sessions, changes, screenshot_dir))


TRAINING_PATH = "/Training_Lab"
QUEUE_TEXT = "in the queue"


@dataclass
class TrainingResult:
    """What one student saw while training on the Training Lab."""

    index: int
    saw_queue: bool = False
    finished_s: float = 0.0
    error: str = ""


async def train_session(browser: object, base_url: str, index: int) -> TrainingResult:
    """Open the Training Lab with the default settings and run number ``index`` (distinct runs:
    identical ones would share one training), press Train, and wait for the verdict."""
    result = TrainingResult(index)
    context = await browser.new_context(viewport=SESSION_VIEWPORT)  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = await context.new_page()
        await page.goto(f"{base_url}{TRAINING_PATH}?seed={index}", timeout=TIMEOUT_MS)
        await page.get_by_role("button", name="Train", exact=True).wait_for(timeout=TIMEOUT_MS)
        started = time.monotonic()
        await page.get_by_role("button", name="Train", exact=True).click()
        deadline = started + TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            body = await page.inner_text("body")
            result.saw_queue = result.saw_queue or QUEUE_TEXT in body
            if "Traceback" in body:
                raise AssertionError("a traceback on the page")
            if "Verdict" in body and "held-out accuracy" in body:  # the results' verdict box
                result.finished_s = time.monotonic() - started
                return result
            await asyncio.sleep(0.25)
        raise AssertionError(f"no verdict after {TIMEOUT_MS / 1000:.0f} s")
    except Exception as error:  # reported, and failed on, by the caller
        result.error = f"{type(error).__name__}: {error}"[:500]
    finally:
        await context.close()
    return result


async def _train_all(base_url: str, sessions: int) -> list[TrainingResult]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options(crowd=True))
        try:
            return list(
                await asyncio.gather(
                    *(train_session(browser, base_url, i) for i in range(sessions))
                )
            )
        finally:
            await browser.close()


def run_training_sessions(base_url: str, sessions: int) -> list[TrainingResult]:
    """``sessions`` students press Train at (nearly) the same moment; blocks until all finish."""
    return run_async(_train_all(base_url, sessions))
