"""How fast the Explorer answers: rerun after a control change, and `streamlit run` to first paint.

Run from the repository root::

    python bench/explorer_latency.py [--reruns 60] [--starts 3]

Prints, never asserts (timings depend on the machine):

1. the median time of an AppTest rerun after a control change on the Explorer (its default
   view, the layer tables), the same for a trivial one-widget Streamlit page as the baseline,
   and the median of their ratio per turn (`_paired`). The Explorer is timed twice: toggling
   between two models (the second visit of a model finds its per-model work — code, CSV, DOT,
   figures — in `bilstm_lab.ui.spec_cache`), and with a new model every rerun (nothing
   cached);
2. the time from starting ``streamlit run app.py`` to the Explorer's first paint (its totals
   visible in headless Chromium through Playwright), median over fresh server starts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
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


def _paired(
    page: tuple[AppTest, str, Callable[[int], int]], baseline: AppTest, reruns: int
) -> tuple[float, float, float]:
    """(page, trivial page) median rerun seconds, and the median of their ratio per turn.

    The two take turns, one rerun each, after `WARM_UP_RERUNS` untimed turns. The ratio is
    taken per turn, then the median: this machine's speed drifts by ±30% within seconds
    (a shared host), and a turn's two reruns see the same speed, so the ratio of each pair is
    steadier than the ratio of two medians.
    """
    app, key, value = page
    times: tuple[list[float], list[float]] = ([], [])
    for index in range(-WARM_UP_RERUNS, reruns):
        elapsed = _timed_rerun(app, key, value(index))
        elapsed_baseline = _timed_rerun(baseline, "units", 32 + index % 2)
        if index >= 0:
            times[0].append(elapsed)
            times[1].append(elapsed_baseline)
    ratio = statistics.median(a / b for a, b in zip(*times, strict=True))
    return statistics.median(times[0]), statistics.median(times[1]), ratio


def rerun_latency(
    reruns: int,
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Rerun after a control change, as `_paired` measures it: (Explorer, trivial page,
    ratio), then (Explorer with a new model each time, trivial page, ratio).

    The Explorer sets the first layer's units to 32 and 33 in turn (per-model work is cached
    after the first two reruns), or to a value not used before. The two pairs are timed apart:
    a new model's rerun builds its caches and leaves garbage, which slowed the rerun timed
    after it when the three took turns.
    """
    pages = [AppTest.from_file(str(EXPLORER), default_timeout=120) for _ in range(2)]
    trivial = AppTest.from_string(TRIVIAL_PAGE, default_timeout=120)
    for app in (*pages, trivial):
        app.run()  # first paint: imports are warm afterwards
    kept = _paired((pages[0], "ex_units_0", lambda i: 32 + i % 2), trivial, reruns)
    new = _paired((pages[1], "ex_units_0", lambda i: 200 + i), trivial, reruns)  # 180+ warm-up
    return kept, new


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

    (explorer, trivial, ratio), (new_model, new_trivial, new_ratio) = rerun_latency(args.reruns)
    print(f"rerun after a control change (AppTest, median of {args.reruns} turns):")
    print(f"  Explorer      {explorer * 1000:8.1f} ms")
    print(f"  trivial page  {trivial * 1000:8.1f} ms")
    print(f"  ratio         {ratio:8.1f}×  (median of the per-turn ratios)")
    print(
        f"  Explorer, a new model each rerun {new_model * 1000:6.1f} ms "
        f"({new_ratio:.1f}× the trivial page's {new_trivial * 1000:.1f} ms)"
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
