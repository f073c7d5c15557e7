"""What the two-process design costs and saves: server memory and the first live point.

Usage: ``python bench/process_split.py``

Starts the app as the README does (``python -m bilstm_lab app``) and drives the Training Lab in
headless Chromium with the page's defaults. Prints:

- the server's resident memory at start, with the page open, and after a training (the server
  never imports TensorFlow, so a training must not move it much);
- each worker's resident memory after the training;
- seconds until the workers are ready (TensorFlow imported, warm-up trained; read from their
  line in the server log);
- seconds from pressing Train to the first live point (the live chart): on a fresh server the
  moment it answers (its workers still warming up), on a fresh server once its workers are
  ready, and again on that same server — the last, warm run is the baseline of the ratios;
- whether any TensorFlow library is mapped into the server process (it must not be).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from labharness.browser import PROJECTOR_VIEWPORT, launch_options, wait_for_app
from labharness.memory import rss_kib
from labharness.paths import ARTIFACTS
from labharness.processes import children, mapped_libraries
from labharness.server import streamlit_server

TIMEOUT_S = 300
READY_LINE = "] ready ("  # what each worker writes to the server's log once it is warm


def _mib(pid: int) -> float:
    return rss_kib(pid) / 1024


def _open_training_lab(browser: object, url: str) -> object:
    page = browser.new_context(viewport=PROJECTOR_VIEWPORT).new_page()  # type: ignore[attr-defined]
    page.goto(url + "/Training_Lab", timeout=TIMEOUT_S * 1000)
    wait_for_app(page)
    return page


def _train_to_first_point(page: object) -> float:
    """Press Train; seconds until the live chart (or the results) is drawn; wait for the end."""
    started = time.perf_counter()
    page.get_by_role("button", name="Train", exact=True).click()  # type: ignore[attr-defined]
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_S * 1000)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    page.get_by_text("Verdict").wait_for(timeout=TIMEOUT_S * 1000)  # type: ignore[attr-defined]
    return seconds


def _wait_ready(log: Path, workers: int, started: float) -> float:
    """Seconds from ``started`` until ``workers`` ready lines are in the server's log."""
    while log.read_text(errors="replace").count(READY_LINE) < workers:
        if time.perf_counter() - started > TIMEOUT_S:
            raise TimeoutError("the workers never said ready")
        time.sleep(0.1)
    return time.perf_counter() - started


def main() -> int:
    """Run the measurement and print one line per figure."""
    log = ARTIFACTS / "bench-process-split.log"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        with streamlit_server(log) as server:
            at_once = _train_to_first_point(_open_training_lab(browser, server.url))
        started = time.perf_counter()
        with streamlit_server(log) as server:
            rss_start = _mib(server.pid)
            pool = children(server.pid)
            ready = _wait_ready(log, len(pool) - 1, started)  # one child is the resource tracker
            page = _open_training_lab(browser, server.url)
            rss_page = _mib(server.pid)
            fresh = _train_to_first_point(page)
            rss_trained = _mib(server.pid)
            page.reload()  # type: ignore[attr-defined]
            wait_for_app(page)
            warm = _train_to_first_point(page)
            workers = [_mib(pid) for pid in children(server.pid) if mapped_libraries(pid)]
            libraries = mapped_libraries(server.pid) or "none"
        browser.close()
    print(f"server RSS: {rss_start:.0f} MiB at start, {rss_page:.0f} MiB with the page open, "
          f"{rss_trained:.0f} MiB after a training")  # fmt: skip
    print("worker RSS after training: " + ", ".join(f"{mib:.0f} MiB" for mib in workers))
    print(f"workers ready {ready:.1f} s after the server was started")
    print(f"Train -> first live point: {at_once:.1f} s pressed as the server answers "
          f"({at_once / warm:.2f}x), {fresh:.1f} s on a fresh server with ready workers "
          f"({fresh / warm:.2f}x), {warm:.1f} s warm (the baseline)")  # fmt: skip
    print(f"TensorFlow libraries in the server process: {libraries}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
