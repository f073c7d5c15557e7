"""Real browser: upload a model on the Convert page, download the result, load it back; the
diagrams' text is measured on a 1280×720 projector, normal and in presenter mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bilstm_lab.core import explain
from bilstm_lab.core.model_info import EXAMPLE_TITLES
from bilstm_lab.models.model_io import load_model_file
from labharness.browser import PROJECTOR_VIEWPORT, wait_for_app
from tests.helpers_models import D, T, bad_upload, make_model, save_bytes

pytestmark = pytest.mark.browser

SUCCESS = "loaded back with safe_mode=True"
CHARTS = '[data-testid="stGraphVizChart"]'
#: The smallest text a student at the back of a classroom can read off a projector.
MIN_TEXT_PX = 12.0

#: Rendered size of every visible SVG text in the diagrams (px on screen): the font size the
#: browser uses times the scale the picture was fitted into its column at.
TEXT_SIZES_JS = """(selector) => Array.from(document.querySelectorAll(selector + ' svg text'))
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0 && t.getScreenCTM())
    .map(t => [t.textContent.trim().slice(0, 40),
               parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a])"""


def _choose_upload(page: object) -> None:
    page.get_by_text("Upload a .keras file", exact=True).click()  # type: ignore[attr-defined]
    wait_for_app(page)
    page.locator('input[type="file"]').wait_for(state="attached", timeout=60_000)  # type: ignore[attr-defined]


def test_upload_convert_and_download(
    page: object,
    open_page: Callable[[object, str], None],
    screenshot: Callable[[object, str], Path],
    tmp_path: Path,
) -> None:
    source = tmp_path / "my_model.keras"
    source.write_bytes(save_bytes(make_model("sequential", 2)))
    open_page(page, "/Convert")
    _choose_upload(page)
    page.locator('input[type="file"]').set_input_files(str(source))  # type: ignore[attr-defined]
    page.get_by_text(SUCCESS).wait_for(timeout=180_000)  # type: ignore[attr-defined]
    wait_for_app(page)
    body = page.inner_text("body")  # type: ignore[attr-defined]
    # Tables are canvas-drawn; the warning and the SVG diagrams carry the layer names as text.
    # lstm_1 → bi_lstm_1 keeps its forward half: its backward half is new and is named too.
    assert "retrain these: the backward half of bi_lstm_1, bi_gru_2, head" in body
    # The graphviz charts render asynchronously (in the browser); wait for the converted node.
    page.locator("svg text", has_text="bi_lstm_1").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    svg_text = page.locator("svg text").all_text_contents()  # type: ignore[attr-defined]
    assert "bi_lstm_1" in svg_text and "lstm_1" in svg_text
    assert "Traceback" not in body
    screenshot(page, "convert-upload")

    with page.expect_download(timeout=60_000) as download_info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download the converted .keras").click()  # type: ignore[attr-defined]
    download = download_info.value
    assert download.suggested_filename == "seq_model_bidirectional.keras"
    target = tmp_path / "downloaded.keras"
    download.save_as(str(target))
    converted = load_model_file(target)
    assert [type(layer).__name__ for layer in converted.layers] == [
        "Bidirectional",
        "Bidirectional",
        "Dense",
    ]
    prediction = converted.predict(np.zeros((3, T, D), dtype="float32"), verbose=0)
    assert prediction.shape == (3, 2)


def test_bad_upload_shows_one_message(
    page: object, open_page: Callable[[object, str], None], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.keras"
    bad.write_bytes(bad_upload("lambda"))
    open_page(page, "/Convert")
    _choose_upload(page)
    page.locator('input[type="file"]').set_input_files(str(bad))  # type: ignore[attr-defined]
    alert = page.locator('[data-testid="stAlertContentError"]')  # type: ignore[attr-defined]
    alert.wait_for(timeout=180_000)
    assert "Lambda layer" in alert.inner_text()
    assert "Traceback" not in page.inner_text("body")  # type: ignore[attr-defined]


@pytest.fixture()
def projector(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PROJECTOR_VIEWPORT)
    page = context.new_page()
    yield page
    context.close()


def _diagram_text_px(page: Any) -> list[tuple[str, float]]:
    """Every diagram text's size once both diagrams are drawn (they render in the browser)."""
    page.get_by_text(SUCCESS).wait_for(timeout=180_000)
    wait_for_app(page)
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHARTS}').length == 2 && "
        f"Array.from(document.querySelectorAll('{CHARTS}')).every(c => c.querySelector('svg text'))",
        timeout=60_000,
    )
    page.wait_for_timeout(500)  # the charts are fitted to their columns after they appear
    sizes = page.evaluate(TEXT_SIZES_JS, CHARTS)
    assert sizes, "no diagram text drawn"
    return [(text, round(px, 1)) for text, px in sizes]


def _key_is_above_the_diagrams(page: Any) -> None:
    key = page.get_by_text(explain.CONVERT_KEY_TITLE)
    assert key.is_visible()
    charts_top = min(box["y"] for box in (c.bounding_box() for c in page.locator(CHARTS).all()))
    key_box = key.bounding_box()
    assert key_box["y"] + key_box["height"] <= charts_top
    assert float(key.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 16  # body text


@pytest.mark.parametrize("example", list(EXAMPLE_TITLES))
def test_every_examples_diagrams_are_readable_on_a_projector(
    projector: Any,
    open_page: Callable[[object, str], None],
    screenshot: Callable[[object, str], Path],
    example: str,
) -> None:
    open_page(projector, "/Convert")
    title = EXAMPLE_TITLES[example]
    picker = projector.get_by_role("combobox", name="Example model")
    if picker.input_value() != title:  # the first example is preselected
        picker.click()
        projector.get_by_role("option", name=title).click()
        projector.wait_for_timeout(500)  # the rerun starts
        wait_for_app(projector)
        assert picker.input_value() == title
    sizes = _diagram_text_px(projector)
    assert [item for item in sizes if item[1] < MIN_TEXT_PX] == [], example
    _key_is_above_the_diagrams(projector)
    screenshot(projector, f"convert-{example}-1280")


def test_presenter_mode_grows_the_diagram_text(
    projector: Any,
    open_page: Callable[[object, str], None],
    screenshot: Callable[[object, str], Path],
) -> None:
    open_page(projector, "/Convert")
    normal = dict(_diagram_text_px(projector))
    open_page(projector, "/Convert?present=1")
    presenting = dict(_diagram_text_px(projector))
    assert min(presenting.values()) >= MIN_TEXT_PX
    # Every text grows: the node names (13 pt → 18 pt) and the shapes on the arrows (12 → 16).
    for text in ("bi_lstm_1", "Bidirectional(LSTM)", "(None, 20, 128)"):
        assert presenting[text] > normal[text] * 1.2, (text, normal[text], presenting[text])
    _key_is_above_the_diagrams(projector)
    screenshot(projector, "convert-stacked-1280-present")
