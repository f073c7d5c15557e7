"""The slide downloads drawn on the server: the layer stacks as SVG and PNG.

The SVG must parse and name every layer of both variants as text; the PNG must be exactly the
projector size the button states.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.presets import get_preset
from bilstm_lab.render.chart_export import SLIDE_HEIGHT, SLIDE_WIDTH, png_download_config
from bilstm_lab.render.png import SLIDE_SIZE, layout_png, printable
from bilstm_lab.render.stack_layout import stack_layout
from bilstm_lab.render.svg import layout_svg
from bilstm_lab.render.unrolled import unrolled
from bilstm_lab.render.unrolled_layout import unrolled_layout

SVG = "{http://www.w3.org/2000/svg}"
#: Presets that between them have an Embedding, a Dense head, two and six layers, GRU cells,
#: return_state and merge_mode None.
PRESETS = ("stacked-classifier", "deep-sum", "return-state", "merge-none", "sentiment-gru")


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first chunk, right after the signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("key", PRESETS)
def test_svg_parses_and_names_every_layer(key: str) -> None:
    comparison = compare(get_preset(key).spec)
    root = ET.fromstring(layout_svg(stack_layout(comparison)).encode())
    assert root.tag == f"{SVG}svg"
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    for variant in (comparison.uni, comparison.bi):
        assert variant.label in texts
        for row in variant.layers:
            assert any(text.startswith(f"{row.name} · ") for text in texts), row.name
            assert f"{row.params:,} params" in texts


def test_boxes_stay_inside_the_picture() -> None:
    layout = stack_layout(compare(get_preset("deep-sum").spec))
    for box in layout.boxes:
        assert box.left >= 0 and box.right <= layout.width
        assert box.top >= 0 and box.bottom <= layout.height
    # No two boxes overlap.
    for number, box in enumerate(layout.boxes):
        for other in layout.boxes[number + 1 :]:
            apart = box.right <= other.left or other.right <= box.left
            assert apart or box.bottom <= other.top or other.bottom <= box.top


def test_png_has_the_slide_size() -> None:
    data = layout_png(stack_layout(compare(get_preset("stacked-classifier").spec)))
    assert _png_size(data) == SLIDE_SIZE == (1920, 1080)


def test_png_writes_missing_symbols_in_ascii() -> None:
    # The bundled font has no arrow glyph: an empty box on a slide would hide the direction.
    assert printable("reads t = 1 → T", 20) == "reads t = 1 -> T"


def test_chart_config_saves_a_slide_sized_png() -> None:
    options = png_download_config("accuracy_per_step")["toImageButtonOptions"]
    assert options["width"] * options["scale"] == SLIDE_WIDTH == 1920
    assert options["height"] * options["scale"] == SLIDE_HEIGHT == 1080
    assert options["format"] == "png"


@pytest.mark.parametrize("key", ("return-state", "merge-none"))
def test_unrolled_svg_draws_every_box(key: str) -> None:
    spec = get_preset(key).spec
    layout = unrolled_layout(spec, bidirectional=True)
    root = ET.fromstring(layout_svg(layout).encode())
    # A subscript is a <tspan> inside its line's <text>: compare the text content.
    texts = ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]
    drawn = [node for node in unrolled(spec).nodes if node.kind not in ("waypoint", "ellipsis")]
    for node in drawn:
        assert node.label.replace("<sub>", "").replace("</sub>", "") in texts, node.id
    assert _png_size(layout_png(layout, (960, 540))) == (960, 540)
