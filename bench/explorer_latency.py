"""How fast the Explorer answers: rerun after a control change, and `streamlit run` to first paint.

Run from the repository root::

    python bench/explorer_latency.py [--reruns 60] [--starts 3]

Prints, never asserts (timings depend on the machine):

1. the median time of an AppTest rerun after a control change on the Explorer, the same for a
   trivial one-widget Streamlit page as the baseline, and their ratio. The Explorer is timed
   twice: toggling between two models (the second visit of a model finds its per-model work —
   code, CSV, DOT, figures — in `bilstm_lab.ui.spec_cache`), and with a new model every rerun
   (nothing cached);
2. the time from starting ``streamlit run app.py`` to the Explorer's first paint (its totals
   visible in headless Chromium through Playwright), median over fresh server starts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the lab and the harness

from streamlit.testing.v1 import AppTest  # noqa: E402

from bilstm_lab.core.analysis import compare  # noqa: E402
from bilstm_lab.core.formatting import fmt  # noqa: E402
from bilstm_lab.core.spec import DEFAULT_SPEC  # noqa: E402

EXPLORER = ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py"
TRIVIAL_PAGE = """
import streamlit as st
units = st.number_input("units", min_value=1, max_value=4096, value=64, key="units")
st.metric("total", f"{4 * units * (100 + units + 1):,}")
"""


def _timed_rerun(app: AppTest, key: str, value: int) -> float:
    """Seconds of ``app.run()`` after setting the number input ``key`` to ``value``."""
    app.number_input(key=key).set_value(value)
    started = time.perf_counter()
    app.run()
    elapsed = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"the page raised: {app.exception[0].value}")
    return elapsed


#: Untimed reruns of each page before the timed ones: a page's first reruns fill its caches
#: and warm Python's own (measured: the first 20 Explorer reruns run ~30% slower), so without
#: them two runs of this script disagreed by up to 0.7× on the ratio.
WARM_UP_RERUNS = 20


def rerun_latency(reruns: int) -> tuple[float, float, float]:
    """(Explorer, Explorer with a new model each time, trivial page) median rerun seconds after
    a control change.

    The three pages take turns, one rerun each, so a busy machine slows them alike and the
    ratios hold. The Explorer sets the first layer's units to 32 and 33 in turn (per-model
    work is cached after the first two reruns), or to a value not used before. The timed
    reruns follow `WARM_UP_RERUNS` untimed ones of each page.
    """
    explorer, new_model, trivial = (
        AppTest.from_file(str(EXPLORER), default_timeout=120),
        AppTest.from_file(str(EXPLORER), default_timeout=120),
        AppTest.from_string(TRIVIAL_PAGE, default_timeout=120),
    )
    for app in (explorer, new_model, trivial):
        app.run()  # first paint: imports are warm afterwards
    times: tuple[list[float], list[float], list[float]] = ([], [], [])
    for index in range(-WARM_UP_RERUNS, 0):  # new-model units 80–99: not used again below
        _timed_rerun(explorer, "ex_units_0", 32 + index % 2)
        _timed_rerun(new_model, "ex_units_0", 100 + index)
        _timed_rerun(trivial, "units", 32 + index % 2)
    for index in range(reruns):
        times[0].append(_timed_rerun(explorer, "ex_units_0", 32 + index % 2))
        times[1].append(_timed_rerun(new_model, "ex_units_0", 100 + index))
        times[2].append(_timed_rerun(trivial, "units", 32 + index % 2))
    medians = [statistics.median(each) for each in times]
    return medians[0], medians[1], medians[2]


def first_paint(starts: int) -> list[tuple[float, float]]:
    """(server healthy, Explorer painted) seconds after `streamlit run`, per fresh start."""
    from playwright.sync_api import expect, sync_playwright

    from labharness.browser import launch_options
    from labharness.paths import ARTIFACTS
    from labharness.server import streamlit_server

    total = fmt(compare(DEFAULT_SPEC).bi.total_params)
    results = []
    with sync_playwright() as playwright:
        # The browser is started first: its own start-up is not the app's cost.
        browser = playwright.chromium.launch(**launch_options())
        for _ in range(starts):
            started = time.perf_counter()
            with streamlit_server(ARTIFACTS / "bench-streamlit.log") as server:
                healthy = time.perf_counter() - started
                page = browser.new_page()
                page.goto(f"{server.url}/Architecture_Explorer", timeout=120_000)
                metric = page.locator('[data-testid="stMetric"]').filter(
                    has=page.get_by_text("BiLSTM total (Keras)", exact=True)
                )
                expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(
                    total, timeout=120_000
                )
                painted = time.perf_counter() - started
                page.close()
            results.append((healthy, painted))
        browser.close()
    return results


def main() -> None:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reruns", type=int, default=60, help="control changes to time (default 60)"
    )
    parser.add_argument("--starts", type=int, default=3, help="fresh server starts (default 3)")
    parser.add_argument("--no-browser", action="store_true", help="skip the first-paint part")
    args = parser.parse_args()

    explorer, new_model, trivial = rerun_latency(args.reruns)
    print(f"rerun after a control change (AppTest, median of {args.reruns}):")
    print(f"  Explorer      {explorer * 1000:8.1f} ms")
    print(f"  trivial page  {trivial * 1000:8.1f} ms")
    print(f"  ratio         {explorer / trivial:8.1f}×")
    print(
        f"  Explorer, a new model each rerun {new_model * 1000:6.1f} ms ({new_model / trivial:.1f}×)"
    )

    if args.no_browser:
        return
    paints = first_paint(args.starts)
    print(
        f"`streamlit run app.py` to first paint of the Explorer (median of {args.starts} starts):"
    )
    print(f"  server healthy  {statistics.median(h for h, _ in paints):6.2f} s")
    print(f"  Explorer painted {statistics.median(p for _, p in paints):5.2f} s")
    print(
        "  each start (healthy, painted): "
        + ", ".join(f"({h:.2f} s, {p:.2f} s)" for h, p in paints)
    )


if __name__ == "__main__":
    main()
