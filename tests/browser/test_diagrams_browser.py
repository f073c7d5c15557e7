"""The Explorer's diagrams on a projector (1280×720): readable text and aligned stacks.

Every preset's layer-stack picture, and the worst cases (return_state with merge mode None,
a six-layer stack with return_state and a head) on every diagram tab, are measured in a real
Chromium: the size a student sees is the SVG font size times the scale the page drew it at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.presets import PRESETS
from bilstm_lab.core.spec import DenseHead, MergeMode, ModelSpec
from labharness.browser import open_view

pytestmark = pytest.mark.browser

EXPLORER = "/Architecture_Explorer"
#: The smallest text a student at the back of a classroom can read off a projector.
MIN_TEXT_PX = 12.0

#: Rendered font size of every visible SVG text inside ``selector`` (px on screen).
TEXT_SIZES_JS = """(selector) => Array.from(document.querySelectorAll(selector + ' svg text'))
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0 && t.getScreenCTM())
    .map(t => [t.textContent.trim().slice(0, 40),
               parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a])"""

#: Vertical centre of each Graphviz node, by node id (the id is the node's <title>).
NODE_CENTRES_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll(
    '[data-testid="stGraphVizChart"] g.node')).map(g => {
        const box = g.getBoundingClientRect();
        return [g.querySelector('title').textContent, box.top + box.height / 2];
    }))"""

WORST_CASES = {
    "return-state-merge-none": ModelSpec(units=(64,), return_state=True, merge_mode=MergeMode.NONE),
    "six-layers": ModelSpec(
        units=(4096, 64, 64, 64, 64, 64), return_state=True, head=DenseHead(10, "softmax")
    ),
}


def _open_spec(open_page: Callable[[object, str], None], page: Any, spec: ModelSpec) -> None:
    """The Explorer on ``spec``: its first view, the layer tables, must fit; then the stacks."""
    open_page(page, f"{EXPLORER}?{urlencode(spec.to_query())}")
    page.wait_for_selector('[data-testid="stTable"]', timeout=60_000)
    assert page.evaluate(CLIPPED_TABLES_JS) == []  # no table or column cut off
    open_view(page, "Layer stack")
    page.wait_for_selector('[data-testid="stGraphVizChart"] svg text', timeout=60_000)


def _small_texts(page: Any, selector: str) -> list[tuple[str, float]]:
    sizes = page.evaluate(TEXT_SIZES_JS, selector)
    assert sizes, f"no text drawn in {selector}"
    return [(text, round(px, 1)) for text, px in sizes if px < MIN_TEXT_PX]


#: Tables whose content is wider than the room they are given (a clipped column).
CLIPPED_TABLES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stTable"]'))
    .map(box => [box.querySelector('table').scrollWidth, box.clientWidth])
    .filter(([content, room]) => content > room + 1)"""


def _check_stacks(page: Any, spec: ModelSpec) -> None:
    assert _small_texts(page, '[data-testid="stGraphVizChart"]') == []
    centres = page.evaluate(NODE_CENTRES_JS)
    for position, row in enumerate(compare(spec).bi.layers):
        if row.is_recurrent:  # the plain layer is level with its twin's two directions
            level = centres[f"u{position}"]
            for direction in ("f", "b"):
                assert abs(level - centres[f"b{position}_{direction}"]) < 2, (position, centres)


@pytest.mark.parametrize("preset", PRESETS, ids=[preset.key for preset in PRESETS])
def test_every_presets_layer_stacks_are_readable_and_aligned(
    projector: Any, open_page: Callable[[object, str], None], preset: Any
) -> None:
    _open_spec(open_page, projector, preset.spec)
    _check_stacks(projector, preset.spec)


@pytest.mark.parametrize("name", list(WORST_CASES))
def test_worst_cases_are_readable_on_every_diagram_tab(
    projector: Any,
    open_page: Callable[[object, str], None],
    screenshot: Callable[[object, str], object],
    name: str,
) -> None:
    spec = WORST_CASES[name]
    _open_spec(open_page, projector, spec)
    _check_stacks(projector, spec)
    screenshot(projector, f"diagrams-{name}-stack-1280")
    for view, chart in (
        ("Unrolled in time", "unrolled_chart"),
        ("Where the parameters go", "breakdown_chart"),
    ):
        open_view(projector, view)
        # By the chart's key: the view shown before stays until the rerun replaces it.
        selector = f'.st-key-ex_{chart} [data-testid="stPlotlyChart"]'
        projector.wait_for_selector(f"{selector} svg text", timeout=60_000)
        projector.wait_for_timeout(500)  # plotly lays out after the element appears
        assert _small_texts(projector, selector) == []
    screenshot(projector, f"diagrams-{name}-views-1280")
