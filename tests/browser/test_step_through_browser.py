"""The step-through of the two passes plays in a real Chromium at 1280×720.

Opens the Explorer's "Unrolled in time" view for a 4-step BiLSTM with return_sequences=False,
switches the step-through on, and photographs three frames (the first; one after pressing Play;
the last, reached with the slider) into ``test-artifacts/screenshots``. The frames must differ,
say what each shows, and keep every text at projector size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from bilstm_lab.core.spec import FeatureInput, ModelSpec
from bilstm_lab.ui.step_through import CHART_KEY, TOGGLE_KEY
from labharness.browser import SCREENSHOTS, open_view, wait_for_app

pytestmark = pytest.mark.browser

EXPLORER = "/Architecture_Explorer"
SPEC = ModelSpec(units=(8,), return_sequences=False, input=FeatureInput(seq_len=4, features=3))
FRAMES = 2 * 4 + 1
CHART = f".st-key-{CHART_KEY} .js-plotly-plot"
MIN_TEXT_PX = 16.0

#: The slider's current step and the caption drawn on the picture (the last text trace), without
#: the zero-width spaces plotly puts around a subscript.
STATE_JS = """(selector) => {
    const plot = document.querySelector(selector);
    const captions = plot.querySelectorAll('.scatterlayer .trace:last-child text');
    return [plot._fullLayout.sliders[0].active,
            Array.from(captions).map(t => t.textContent).join(' ').replace(/\u200b/g, '')];
}"""
#: Rendered size (px on screen) of every visible text of the chart.
TEXT_SIZES_JS = """(selector) => Array.from(document.querySelectorAll(selector + ' text'))
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0 && t.getScreenCTM())
    .map(t => [t.textContent.trim().slice(0, 30),
               parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a])"""


def _state(page: Any) -> tuple[int, str]:
    active, caption = page.evaluate(STATE_JS, CHART)
    return int(active), caption


def _shot(page: Any, name: str) -> bytes:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return page.locator(CHART).screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_step_through_plays_and_each_frame_differs(
    projector: Any, open_page: Callable[[object, str], None]
) -> None:
    page = projector
    open_page(page, f"{EXPLORER}?{urlencode(SPEC.to_query())}")
    open_view(page, "Unrolled in time")
    page.wait_for_selector(f".st-key-{TOGGLE_KEY}", timeout=60_000)
    page.locator(f".st-key-{TOGGLE_KEY} label").click()
    page.wait_for_selector(CHART + " .slider-container", timeout=60_000)
    wait_for_app(page)
    page.locator(CHART).scroll_into_view_if_needed()

    assert _state(page) == (0, "Forward pass: h→1 has read x1 only")
    first = _shot(page, "step-through-1-first")

    page.locator(CHART).get_by_text("Play", exact=True).click()
    page.wait_for_function(
        f"() => document.querySelector('{CHART}')._fullLayout.sliders[0].active >= 2",
        timeout=15_000,
    )
    page.locator(CHART).get_by_text("Pause", exact=True).click()
    page.wait_for_timeout(300)  # a frame already under way finishes drawing
    playing, caption = _state(page)
    assert 2 <= playing < FRAMES - 1 and caption.startswith(("Forward pass", "Backward pass"))
    middle = _shot(page, "step-through-2-playing")

    rail = page.locator(CHART + " .slider-rail-rect").bounding_box()
    page.mouse.click(rail["x"] + rail["width"] - 2, rail["y"] + rail["height"] / 2)
    page.wait_for_function(
        f"() => document.querySelector('{CHART}')._fullLayout.sliders[0].active === {FRAMES - 1}",
        timeout=15_000,
    )
    page.wait_for_timeout(300)
    assert _state(page) == (FRAMES - 1, "Returned: h→4 and h←1, each has read every input")
    last = _shot(page, "step-through-3-returned")

    assert len({first, middle, last}) == 3  # three different pictures
    small = [
        (text, round(px, 1)) for text, px in page.evaluate(TEXT_SIZES_JS, CHART) if px < MIN_TEXT_PX
    ]
    # Subscripts are drawn at 70% of their label inside the same text element: only whole
    # texts are measured, and every one is at least 16 px.
    assert small == []
    assert not page.locator('[data-testid="stException"]').count()
