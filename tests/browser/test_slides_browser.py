"""Slide downloads in a real Chromium: the stack as SVG and PNG, a chart's PNG from plotly.js.

The stack's files come from the server (download buttons); a chart's PNG is drawn by plotly.js
in the browser, so only a browser can show that its camera button is there and saves 1920×1080.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import compare
from bilstm_lab.core.spec import DEFAULT_SPEC
from labharness.browser import open_view

pytestmark = pytest.mark.browser

EXPLORER = "/Architecture_Explorer"
SLIDE = (1920, 1080)
#: Plotly's camera button on the parameter chart (its title names the format the config asks
#: for), found by the chart's key: the view shown before stays until the rerun replaces it.
CAMERA = '.st-key-ex_breakdown_chart .modebar-btn[data-title="Download plot as a PNG"]'


def _download(page: Any, click: Callable[[], None], folder: Path) -> Path:
    with page.expect_download(timeout=60_000) as event:
        click()
    download = event.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_stack_and_chart_download_at_slide_size(
    browser: Any, open_page: Callable[[object, str], None], tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    page = context.new_page()
    try:
        open_page(page, EXPLORER)
        open_view(page, "Layer stack")
        svg = _download(
            page,
            page.get_by_role("button", name=explain.DOWNLOAD_SVG_LABEL).click,
            tmp_path,
        )
        texts = [t.text for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]
        comparison = compare(DEFAULT_SPEC)
        for row in (*comparison.uni.layers, *comparison.bi.layers):
            assert any((text or "").startswith(row.name) for text in texts), row.name
        png = _download(
            page, page.get_by_role("button", name=explain.DOWNLOAD_PNG_LABEL).click, tmp_path
        )
        assert _png_size(png) == SLIDE

        open_view(page, "Where the parameters go")
        page.wait_for_selector(CAMERA, timeout=90_000)  # shown always, not only on hover
        chart = _download(page, page.locator(CAMERA).click, tmp_path)
        assert chart.suffix == ".png"
        assert _png_size(chart) == SLIDE
    finally:
        context.close()
