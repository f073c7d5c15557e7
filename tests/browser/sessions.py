"""Drive many simultaneous browser sessions against one Streamlit server (async Playwright).

Used by the concurrency test (`test_concurrency.py`, a smaller N) and by `bench/load.py` (the
full N). Each session opens the Explorer with its own configuration in the URL, checks that it
reads back its *own* totals (no cross-talk), then changes the units control and times how long
the page takes to show the new, correct totals.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bilstm_lab.core.analysis import compare, fmt
from bilstm_lab.core.spec import FeatureInput, ModelSpec
from tests.browser.conftest import CHROMIUM
from tests.browser.conftest import CHROMIUM_ARGS as HARNESS_CHROMIUM_ARGS
from tests.conftest import rss_kib

EXPLORER_PATH = "/Architecture_Explorer"
# Many renderers at once exhaust the small /dev/shm of a container; use /tmp instead.
CHROMIUM_ARGS = [*HARNESS_CHROMIUM_ARGS, "--disable-dev-shm-usage"]
TIMEOUT_MS = 180_000


def session_spec(index: int, units: int | None = None) -> ModelSpec:
    """A configuration unique to session ``index`` (so its totals are unique too)."""
    return ModelSpec(units=(units or 8 + index,), input=FeatureInput(seq_len=6, features=3 + index))


def expected_totals(spec: ModelSpec) -> tuple[str, str]:
    """The LSTM and BiLSTM totals the Explorer must show for ``spec``, as displayed."""
    comparison = compare(spec)
    return fmt(comparison.uni.total_params), fmt(comparison.bi.total_params)


@dataclass
class SessionResult:
    """What one simulated student saw."""

    index: int
    first_paint_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    error: str = ""


async def _metric(page: object, label: str) -> str:
    locator = page.locator('[data-testid="stMetric"]', has_text=label)  # type: ignore[attr-defined]
    return (await locator.locator('[data-testid="stMetricValue"]').first.inner_text()).strip()


async def _wait_for_totals(page: object, spec: ModelSpec) -> None:
    uni, bi = expected_totals(spec)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    seen = ("", "")
    while time.monotonic() < deadline:
        try:
            seen = (
                await _metric(page, "LSTM total (Keras)"),
                await _metric(page, "BiLSTM total (Keras)"),
            )
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
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
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
        units_box = page.get_by_label("units, layer 1")
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
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
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
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        coroutine = _run_sessions(base_url, sessions, changes, screenshot_dir)
        return pool.submit(asyncio.run, coroutine).result()


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def summarize(results: list[SessionResult]) -> dict[str, float]:
    """Median and 95th-percentile control-change latency, and median first paint."""
    latencies = [lat for r in results for lat in r.latencies_s]
    return {
        "sessions": float(len(results)),
        "changes": float(len(latencies)),
        "median_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": percentile(latencies, 0.95) if latencies else float("nan"),
        "first_paint_median_s": statistics.median(r.first_paint_s for r in results),
    }


class PeakMemory:
    """Samples a process's resident memory (``/proc/PID/status``) in a background thread."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        self.pid, self.interval_s = pid, interval_s
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def current_kib(self) -> int:
        """Resident set size now, in KiB (0 once the process is gone)."""
        try:
            return rss_kib(self.pid)
        except (OSError, RuntimeError):
            return 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self.current_kib())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


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
    """Open the Training Lab, press Train with the defaults, and wait for the verdict."""
    result = TrainingResult(index)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = await context.new_page()
        await page.goto(base_url + TRAINING_PATH, timeout=TIMEOUT_MS)
        await page.get_by_role("button", name="Train").wait_for(timeout=TIMEOUT_MS)
        started = time.monotonic()
        await page.get_by_role("button", name="Train").click()
        deadline = started + TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            body = await page.inner_text("body")
            result.saw_queue = result.saw_queue or QUEUE_TEXT in body
            if "Traceback" in body:
                raise AssertionError("a traceback on the page")
            if "Verdict" in body and "Held-out accuracy: BiLSTM" in body:
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
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
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
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _train_all(base_url, sessions)).result()
