"""The Training Lab in a real browser: train, see live progress and results; on a 1280×720
projector the verdict and the per-step chart are in view after Train, drawn in their legend
colours, and before Train the settings it will use are in view (presenter mode too) and the
sidebar's labels fit on one line; after Train the runs table's headers and the task names do
not wrap, the heatmaps label every time step and wrong answers are shaded; a copied link
reopens the same settings; ``?lock=1`` hides the controls; no emoji."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bilstm_lab.core import explain
from bilstm_lab.core.tasks import DEFAULT_TASK
from bilstm_lab.core.train_config import default_config
from bilstm_lab.render.training_charts import BI_COLOR, CEILING_NAME, UNI_COLOR
from bilstm_lab.ui.training import WRONG_MARK
from labharness.browser import PROJECTOR_VIEWPORT, SCREENSHOTS
from labharness.text import emoji_in

pytestmark = pytest.mark.browser

TRAINING = "/Training_Lab"
TRAIN_TIMEOUT_MS = 180_000  # first Train imports TensorFlow and compiles; CI machines are shared


def _set_slider(page: Any, label: str, presses: int, key: str) -> None:
    """Move a Streamlit slider with the keyboard (``presses`` times ``key``)."""
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    for _ in range(presses):
        slider.press(key)


def _train_and_wait(page: Any) -> None:
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Verdict", exact=True).wait_for(timeout=TRAIN_TIMEOUT_MS)
    page.wait_for_timeout(1500)  # let the charts draw


def _path(url: str) -> str:
    """The path and query of a URL, for ``open_page``: ``/Training_Lab?task=…``."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _rgb(hex_colour: str) -> str:
    """``#1f77b4`` -> ``rgb(31, 119, 180)``, as the browser reports a stroke."""
    value = hex_colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({red}, {green}, {blue})"


#: Every trace of the per-step chart with its line colour, and every legend entry with its own.
STEP_CHART_COLOURS_JS = """(ceilingName) => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
    p => [...p.querySelectorAll('.legendtext')].some(t => t.textContent === ceilingName));
  if (!plot) return null;
  const stroke = el => el ? getComputedStyle(el).stroke : null;
  const box = plot.getBoundingClientRect();
  return {
    box: [box.top, box.bottom, box.left, box.right],
    traces: plot._fullData.map((d, i) => ({
      name: d.name,
      stroke: stroke(plot.querySelectorAll('.scatterlayer .trace')[i].querySelector('.js-line')),
    })),
    legend: [...plot.querySelectorAll('.legend .traces')].map(g => ({
      name: g.querySelector('.legendtext').textContent,
      stroke: stroke(g.querySelector('.legendlines .js-line')),
    })),
    shapesAbove: plot.querySelectorAll('.layer-above .shapelayer path').length,
    shapesBelow: plot.querySelectorAll('.layer-below .shapelayer path').length,
  };
}"""

VERDICT_BOX_JS = """() => {
  const box = [...document.querySelectorAll('[data-testid="stAlert"]')].find(
    a => a.innerText.includes('Verdict'));
  if (!box) return null;
  const r = box.getBoundingClientRect();
  return [r.top, r.bottom, r.left, r.right];
}"""


#: How many lines a table cell's or a label's text takes (its text's line boxes).
LINES_JS = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el.querySelector('p') || el);
  const rects = [...range.getClientRects()].filter(r => r.width > 0);
  return new Set(rects.map(r => Math.round(r.bottom))).size;
}"""

#: The runs table (the page's last table): every header and cell with its number of lines.
RUNS_TABLE_JS = f"""() => {{
  const lines = {LINES_JS};
  const tables = [...document.querySelectorAll('[data-testid="stTable"]')];
  const runs = tables[tables.length - 1];
  return [...runs.querySelectorAll('th, td')].map(c => [c.innerText, lines(c)]);
}}"""

#: The held-out sequence table: every answer cell's text and background.
SAMPLE_CELLS_JS = """() => {
  const sample = document.querySelector('[data-testid="stTable"]');
  return [...sample.querySelectorAll('td')].map(
    c => [c.innerText.trim(), getComputedStyle(c).backgroundColor]);
}"""

#: The x tick labels of both hidden-state heatmaps.
HEATMAP_TICKS_JS = """() => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
    p => p._fullData.some(d => d.type === 'heatmap'));
  return plot ? [...plot.querySelectorAll('.xtick text, .x2tick text')].map(t => t.textContent)
    : null;
}"""

#: The sidebar's slider and number box labels with their number of lines.
SIDEBAR_LABELS_JS = f"""() => {{
  const lines = {LINES_JS};
  return [...document.querySelectorAll(
    '[data-testid="stSidebarUserContent"] :is([data-testid="stSlider"], '
    + '[data-testid="stNumberInput"]) [data-testid="stWidgetLabel"]')]
    .map(label => [label.innerText, lines(label)]);
}}"""

#: Where the main area's Markdown block holding ``text`` is.
TEXT_BOX_JS = """(text) => {
  const block = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdown"]')]
    .find(m => m.innerText.includes(text));
  if (!block) return null;
  const r = block.getBoundingClientRect();
  return [r.top, r.bottom, r.left, r.right];
}"""

#: Slider labels too long for half the sidebar; the page gives them a row of their own.
LONG_SLIDER_LABELS = {"Sequence length T", "Training samples", "Units per direction"}
#: The one label long enough to wrap even at full width (it wraps between words).
WRAPPING_LABEL = "Target delay d"


def _inside(box: list[float], viewport: dict[str, int]) -> bool:
    top, bottom, left, right = box
    return top >= 0 and left >= 0 and bottom <= viewport["height"] and right <= viewport["width"]


def test_on_a_projector_the_verdict_and_per_step_chart_are_in_view_after_train(
    projector: Any,
    open_page: Callable[[Any, str], None],
    screenshot: Callable[[Any, str], Path],
) -> None:
    page = projector
    open_page(page, TRAINING)  # the default lesson, as a teacher would press Train
    _train_and_wait(page)
    chart = page.evaluate(STEP_CHART_COLOURS_JS, CEILING_NAME)
    assert chart is not None, "no per-step chart"
    verdict = page.evaluate(VERDICT_BOX_JS)
    assert verdict is not None, "no verdict box"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "training_lab_projector.png"))  # what the room sees
    screenshot(page, "training_lab_projector_full")
    assert _inside(verdict, PROJECTOR_VIEWPORT), verdict
    assert _inside(chart["box"], PROJECTOR_VIEWPORT), chart["box"]
    # Lines in their legend colours, above the shading (no shape is drawn over the traces).
    traces = {trace["name"]: trace["stroke"] for trace in chart["traces"]}
    legend = {entry["name"]: entry["stroke"] for entry in chart["legend"]}
    assert traces["BiLSTM"] == legend["BiLSTM"] == _rgb(BI_COLOR)
    assert traces["LSTM"] == legend["LSTM"] == _rgb(UNI_COLOR)
    assert chart["shapesAbove"] == 0
    # The default lesson has contrast: some steps shaded (answer ahead), some not.
    steps = default_config(DEFAULT_TASK).params.seq_len
    assert 0 < chart["shapesBelow"] < steps
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert emoji_in(body) == []
    # Below the fold: the runs table's headers and cells each on one line, the bidirectional
    # model first; the heatmaps label every step from 0 (as the sample table's t=0…);
    # a wrong answer is shaded, a right one is not.
    runs = page.evaluate(RUNS_TABLE_JS)
    assert [text for text, lines in runs if lines != 1] == [], runs
    headers = [text for text, _ in runs]
    assert headers.index("BiLSTM accuracy") < headers.index("LSTM accuracy")
    assert page.evaluate(HEATMAP_TICKS_JS) == [str(t) for t in range(steps)] * 2
    for text, background in page.evaluate(SAMPLE_CELLS_JS):
        shaded = background not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")
        assert shaded == text.endswith(WRONG_MARK), (text, background)


def test_on_a_projector_before_train_the_settings_are_in_view_and_the_labels_fit(
    projector: Any,
    open_page: Callable[[Any, str], None],
    screenshot: Callable[[Any, str], Path],
) -> None:
    page = projector
    config = default_config(DEFAULT_TASK)
    settings = explain.settings_line(config)
    open_page(page, TRAINING)
    box = page.evaluate(TEXT_BOX_JS, settings)
    assert box is not None and _inside(box, PROJECTOR_VIEWPORT), box
    assert explain.SETTINGS_NOTE + ":" in page.inner_text('[data-testid="stMain"]')
    labels = dict(page.evaluate(SIDEBAR_LABELS_JS))
    assert set(labels) >= LONG_SLIDER_LABELS, labels
    wrapped = [
        label for label, lines in labels.items() if lines != 1 and WRAPPING_LABEL not in label
    ]
    assert wrapped == [], labels
    screenshot(page, "training_lab_projector_before")
    # Presenter mode hides the sidebar: the settings are still stated beside Train.
    open_page(page, TRAINING + "?present=1")
    box = page.evaluate(TEXT_BOX_JS, settings)
    assert box is not None and _inside(box, PROJECTOR_VIEWPORT), box
    screenshot(page, "training_lab_projector_before_present")


def test_a_copied_link_reopens_the_same_settings_and_lock_hides_the_controls(
    page: Any,
    browser: Any,
    open_page: Callable[[Any, str], None],
) -> None:
    open_page(page, TRAINING)
    page.get_by_role("combobox").first.wait_for()
    _set_slider(page, "Epochs", 3, "ArrowRight")  # 8 -> 11
    _set_slider(page, "Sequence length T", 2, "ArrowRight")  # 6 -> 8
    page.wait_for_function("() => location.search.includes('epochs=11')", timeout=30_000)
    page.wait_for_function("() => location.search.includes('seq_len=8')", timeout=30_000)
    link = page.url
    other = browser.new_context(viewport=PROJECTOR_VIEWPORT)
    try:
        copy = other.new_page()
        open_page(copy, _path(link))
        assert copy.get_by_role("slider", name="Epochs").get_attribute("aria-valuetext") == "11"
        slider = copy.get_by_role("slider", name="Sequence length T")
        assert slider.get_attribute("aria-valuetext") == "8"
        assert copy.url == link
        # The same link, locked: no controls, the settings stated, Train still there.
        open_page(copy, _path(link) + "&lock=1")
        assert copy.get_by_role("slider").count() == 0
        assert copy.get_by_role("combobox").count() == 0
        body = copy.inner_text("body")
        assert "Settings fixed by this link" in body and "11 epochs" in body
        assert copy.get_by_role("button", name="Train", exact=True).is_enabled()
    finally:
        other.close()


def test_train_a_small_configuration_and_see_results(
    page: Any,
    open_page: Callable[[Any, str], None],
    screenshot: Callable[[Any, str], Path],
) -> None:
    open_page(page, TRAINING)
    page.get_by_text("the label at t is the token at T−1−t").wait_for(timeout=60_000)
    # A small run: 3 epochs (default 8) of 500 samples (default 1500).
    _set_slider(page, "Epochs", 5, "ArrowLeft")
    _set_slider(page, "Training samples", 2, "ArrowLeft")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Train", exact=True).click()
    # The Stop button becomes active while training runs.
    page.get_by_role("button", name="Stop").wait_for(timeout=30_000)
    page.get_by_text("Verdict", exact=True).wait_for(timeout=TRAIN_TIMEOUT_MS)
    page.wait_for_timeout(1500)
    body = page.inner_text("body")
    assert "BiLSTM held-out accuracy" in body
    assert "hidden states on that sequence" in body
    assert "Runs this session" in body
    assert "Traceback" not in body
    # The plotly charts rendered (per-step accuracy, hidden-state heatmaps).
    assert page.locator(".js-plotly-plot").count() >= 2
    # The run used the values set in the browser.
    epochs = page.get_by_role("slider", name="Epochs")
    assert epochs.get_attribute("aria-valuetext") == "3"
    screenshot(page, "training_lab_results")
