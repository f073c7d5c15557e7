"""The Convert page's model graphs laid out on the server: the SVG and PNG downloads.

The built-in examples (before and after conversion, built once with Keras) and graphs written by
hand (two inputs, a residual skip, a shared layer fed its own output, an arrow to an unlisted
node, no arrows at all): the SVG parses and names every layer, the PNG is the slide size, no two
boxes overlap and no arrow runs through a box it does not join.
"""

from __future__ import annotations

import itertools
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from bilstm_lab.core import explain
from bilstm_lab.core.model_info import EXAMPLE_TITLES, GraphEdge, GraphNode, ModelInfo
from bilstm_lab.render.layout import Box, Layout
from bilstm_lab.render.model_graph import HALVES, Role, node_lines
from bilstm_lab.render.model_graph_layout import model_graph_layout, ranks
from bilstm_lab.render.png import SLIDE_SIZE, layout_png
from bilstm_lab.render.svg import layout_svg

SVG = "{http://www.w3.org/2000/svg}"


def _info(name: str, nodes: list[tuple[str, str, int]], edges: list[tuple[str, str]]) -> ModelInfo:
    return ModelInfo(
        name,
        (),
        tuple(GraphNode(*node) for node in nodes),
        tuple(GraphEdge(source, target, (None, 8)) for source, target in edges),
        (),
        (),
        0,
    )


#: Graphs a Functional model can have that a chain does not.
BY_HAND = {
    "two-inputs": _info(
        "two_inputs",
        [
            ("tokens", "InputLayer", 0),
            ("features", "InputLayer", 0),
            ("embedding", "Embedding", 640),
            ("lstm", "LSTM", 4_224),
            ("joined", "Concatenate", 0),
            ("head", "Dense", 17),
        ],
        [
            ("tokens", "embedding"),
            ("embedding", "lstm"),
            ("lstm", "joined"),
            ("features", "joined"),
            ("joined", "head"),
        ],
    ),
    "residual": _info(
        "residual",
        [
            ("x", "InputLayer", 0),
            ("lstm_a", "LSTM", 544),
            ("lstm_b", "LSTM", 544),
            ("add", "Add", 0),
            ("lstm_c", "LSTM", 544),
        ],
        [("x", "lstm_a"), ("lstm_a", "lstm_b"), ("lstm_b", "add"), ("x", "add"), ("add", "lstm_c")],
    ),
    "shared-and-unlisted": _info(
        "shared",
        [("x", "InputLayer", 0), ("dense", "Dense", 72)],
        # A shared layer called on its own output, and an arrow to an operation not in the list.
        [("x", "dense"), ("dense", "dense"), ("dense", "get_item")],
    ),
    "no-arrows": _info(  # a subclassed model: its layers, no wiring
        "subclassed", [("lstm", "LSTM", 544), ("dense", "Dense", 9)], []
    ),
}


@pytest.fixture(scope="module")
def examples() -> dict[str, tuple[ModelInfo, ModelInfo, dict[str, Role]]]:
    """Each built-in example's graph before and after wrapping, and the After graph's roles."""
    from bilstm_lab.models.convert import to_bidirectional
    from bilstm_lab.models.examples import build_example
    from bilstm_lab.models.introspect import model_info
    from bilstm_lab.render.model_graph import layer_roles

    graphs = {}
    for key in EXAMPLE_TITLES:
        model = build_example(key)
        converted = to_bidirectional(model, merge_mode="concat")
        report = converted.report
        roles = layer_roles(report.freshness_by_layer(), report.changed_layers)
        graphs[key] = (model_info(model), model_info(converted.model), roles)
    return graphs


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check(info: ModelInfo, roles: dict[str, Role] | None = None) -> Layout:
    """The layout reads right: every layer named, boxes apart, arrows clear of other boxes."""
    layout = model_graph_layout(info, roles)
    root = ET.fromstring(layout_svg(layout).encode())
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    for node in info.nodes:
        for line in node_lines(node):
            assert line in texts, line
    for edge in info.edges:
        assert edge.target in texts
    boxes = layout.boxes
    for box in boxes:
        assert box.left >= 0 and box.right <= layout.width
        assert box.top >= 0 and box.bottom <= layout.height
    for box, other in itertools.combinations(boxes, 2):
        apart = box.right <= other.left or other.right <= box.left
        assert apart or box.bottom <= other.top or other.bottom <= box.top, (box.lines, other.lines)
    for arrow in layout.arrows:
        for start, end in itertools.pairwise(arrow.points):
            if start[0] == end[0]:  # a vertical stretch: it touches only the boxes it joins
                assert not [box for box in boxes if _crosses(box, start[0], start[1], end[1])]
    return layout


def _crosses(box: Box, x: float, y0: float, y1: float) -> bool:
    """Whether the vertical stretch at ``x`` from ``y0`` to ``y1`` runs inside ``box``."""
    low, high = sorted((y0, y1))
    return box.left < x < box.right and low < box.bottom - 0.5 and high > box.top + 0.5


def test_examples_before_and_after(examples: dict) -> None:
    for before, after, roles in examples.values():
        _check(before)
        layout = _check(after, roles)
        # A converted layer's box has its role's colours; a backward-split one two halves.
        for box in layout.boxes:
            role = roles.get(box.lines[0])
            if role is not None:
                assert (box.fill, box.fill_right or box.fill) == HALVES[role]
        texts = layout.texts()
        assert explain.CONVERT_KEY_TITLE in texts
        assert {explain.CONVERT_KEY[role.value] for role in roles.values()} <= set(texts)
    gru_before, gru_after, gru_roles = examples["gru-tagger"]
    assert gru_roles["bi_gru_1"] is Role.BACKWARD
    assert explain.CONVERT_KEY_TITLE not in model_graph_layout(gru_before).texts()
    assert _png_size(layout_png(model_graph_layout(gru_after, gru_roles))) == SLIDE_SIZE


def test_a_chain_is_one_straight_column() -> None:
    chain = _info("chain", [(name, "LSTM", 1) for name in "abcd"], list(itertools.pairwise("abcd")))
    layout = _check(chain)
    assert len({box.x for box in layout.boxes}) == 1
    assert [box.lines[0] for box in sorted(layout.boxes, key=lambda box: box.y)] == list("abcd")


@pytest.mark.parametrize("key", BY_HAND)
def test_graphs_by_hand(key: str) -> None:
    _check(BY_HAND[key])


def test_rows_are_longest_paths_from_the_inputs() -> None:
    info = BY_HAND["residual"]
    names = [node.name for node in info.nodes]
    assert ranks(names, list(info.edges)) == {
        "x": 0,
        "lstm_a": 1,
        "lstm_b": 2,
        "add": 3,
        "lstm_c": 4,
    }
    # The skip arrow passes rows 1 and 2 beside their boxes: it has two bends per row.
    skip = next(arrow for arrow in model_graph_layout(info).arrows if len(arrow.points) > 2)
    assert len(skip.points) == 2 + 2 * 2
    # A cycle (a layer shared round a loop) is broken at its earliest layer, not an endless loop.
    loop = [GraphEdge("a", "b", None), GraphEdge("b", "a", None), GraphEdge("b", "c", None)]
    assert ranks(["a", "b", "c"], loop) == {"a": 0, "b": 1, "c": 2}


def test_png_of_a_wide_graph_has_the_slide_size() -> None:
    layout = _check(BY_HAND["two-inputs"])
    assert _png_size(layout_png(layout)) == SLIDE_SIZE == (1920, 1080)


def test_the_convert_page_buttons_draw_both_files(monkeypatch: pytest.MonkeyPatch) -> None:
    # The buttons hold callables drawn only on a click: run them as a click would.
    from bilstm_lab.ui import downloads

    files: dict[str, str | bytes] = {}

    def collect(label: str, data: Callable[[], str | bytes], file_name: str, *_: object) -> None:
        files[file_name] = data()

    monkeypatch.setattr(downloads, "_download", collect)
    info = BY_HAND["residual"]
    downloads.model_graph_downloads(info, {"lstm_b": Role.BACKWARD}, "residual", converted=True)
    assert set(files) == {"residual_after.svg", "residual_after.png"}
    svg = files["residual_after.svg"]
    assert isinstance(svg, str)
    root = ET.fromstring(svg.encode())
    assert root.findtext(f"{SVG}title") == explain.model_graph_title(info.name, converted=True)
    assert root.find(f".//{SVG}linearGradient") is not None  # the split box's two halves
    png = files["residual_after.png"]
    assert isinstance(png, bytes) and _png_size(png) == SLIDE_SIZE
