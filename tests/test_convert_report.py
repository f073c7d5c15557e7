"""The conversion report's plain data and the Convert page's diagram, without TensorFlow.

What a conversion did to each layer's weights decides three things that must agree: the
"retrain these" sentence (page, CLI and notebook API), the "Layers to retrain" count, and the
colour of the layer's box in the After diagram (with its key above the diagrams).
"""

from __future__ import annotations

import itertools
import re

import pytest

from bilstm_lab.core import explain
from bilstm_lab.core.conversion import (
    COLD,
    KEPT,
    NO_WEIGHTS,
    UNWRAPPED,
    WARM_STARTED,
    WIDTH_CHANGED,
    ConversionReport,
    Freshness,
    LayerChange,
)
from bilstm_lab.core.model_info import GraphEdge, GraphNode, ModelInfo
from bilstm_lab.render.model_graph import (
    EDGE_FONT_PT,
    FILLS,
    FRESH_FILL,
    KEPT_FILL,
    NODE_FONT_PT,
    PLAIN_FILL,
    Role,
    colour_key_html,
    layer_roles,
    model_dot,
)


def _row(before: str, after: str, weights: str, converted: bool = False) -> LayerChange:
    kind = "LSTM"
    return LayerChange(
        before=before,
        after=after,
        type_before=kind,
        type_after=f"Bidirectional({kind})" if converted else kind,
        shapes_before=((None, 4),),
        shapes_after=((None, 8),),
        params_before=10,
        params_after=20,
        weights=weights,
    )


#: The Convert page's default example, wrapped with warm start: lstm_1's forward half is the
#: original layer, its backward half is new; lstm_2 and the head read a wider input: all new.
STACKED = ConversionReport(
    rows=(
        _row("embedding", "embedding", KEPT),
        _row("lstm_1", "bi_lstm_1", WARM_STARTED, converted=True),
        _row("lstm_2", "bi_lstm_2", WIDTH_CHANGED, converted=True),
        _row("dense", "dense", WIDTH_CHANGED),
    )
)


def test_each_fate_says_which_weights_are_new() -> None:
    expected = {
        KEPT: Freshness.NONE,
        NO_WEIGHTS: Freshness.NONE,
        UNWRAPPED: Freshness.NONE,
        WARM_STARTED: Freshness.BACKWARD,
        COLD: Freshness.ALL,
        WIDTH_CHANGED: Freshness.ALL,
    }
    for fate, freshness in expected.items():
        row = _row("a", "b", fate)
        assert row.freshness is freshness, fate
        assert row.fresh == (freshness is Freshness.ALL)


def test_retrain_names_every_layer_with_new_weights_and_which_part() -> None:
    assert STACKED.fresh_layers == ("bi_lstm_2", "dense")  # all new
    assert STACKED.backward_fresh_layers == ("bi_lstm_1",)
    assert STACKED.retrain_layers == ("bi_lstm_1", "bi_lstm_2", "dense")  # model order
    assert STACKED.retrain_note() == (
        "Freshly initialised — retrain these: the backward half of bi_lstm_1, bi_lstm_2, dense"
    )
    assert STACKED.retrain_note(markdown=True) == (
        "Freshly initialised — retrain these: the backward half of `bi_lstm_1`, `bi_lstm_2`, "
        "`dense`"
    )
    # The CLI prints the same sentence under its table.
    assert STACKED.retrain_note() in STACKED.to_text().splitlines()


def test_nothing_new_means_no_sentence() -> None:
    unwrapped = ConversionReport(
        rows=(_row("bi_lstm_1", "lstm_1", UNWRAPPED, converted=True), _row("d", "d", KEPT))
    )
    assert unwrapped.retrain_layers == ()
    assert unwrapped.retrain_note() is None
    assert "retrain" not in unwrapped.to_text()


def test_the_sentence_without_halves_is_unchanged() -> None:
    assert explain.fresh_layers(("bi_gru_2", "head")) == (
        "Freshly initialised — retrain these: bi_gru_2, head"
    )
    assert explain.fresh_layers(("a", "b"), backward={"a", "b"}) == (
        "Freshly initialised — retrain these: the backward half of a, the backward half of b"
    )


def test_roles_follow_the_weights_not_the_type_change() -> None:
    roles = layer_roles(STACKED.freshness_by_layer(), ("bi_lstm_1", "bi_lstm_2"))
    assert roles == {
        "embedding": Role.UNCHANGED,
        "bi_lstm_1": Role.BACKWARD,
        "bi_lstm_2": Role.FRESH,  # converted, but every weight is new: retrain it whole
        "dense": Role.FRESH,
    }
    unwrap = ConversionReport(rows=(_row("bi", "lstm", UNWRAPPED, converted=True),))
    assert layer_roles(unwrap.freshness_by_layer(), ("lstm",)) == {"lstm": Role.KEPT}


def _info(names: list[str]) -> ModelInfo:
    nodes = tuple(GraphNode(name, "LSTM", 10) for name in names)
    edges = tuple(GraphEdge(a, b, (None, 4)) for a, b in itertools.pairwise(names))
    return ModelInfo("m", (), nodes, edges, (), (), 0)


def _fill(dot: str, name: str) -> str:
    match = re.search(rf'"{name}" \[label="[^"]*", fillcolor="([^"]*)"\]', dot)
    assert match, (name, dot)
    return match.group(1)


def test_the_diagram_colours_each_box_by_its_role() -> None:
    names = ["embedding", "bi_lstm_1", "bi_lstm_2", "dense"]
    roles = layer_roles(STACKED.freshness_by_layer(), STACKED.changed_layers)
    dot = model_dot(_info(names), roles)
    assert _fill(dot, "embedding") == PLAIN_FILL
    # Split in two: the forward half (left) original, the backward half (right) new.
    assert _fill(dot, "bi_lstm_1") == f"{KEPT_FILL};0.5:{FRESH_FILL}" == FILLS[Role.BACKWARD]
    assert _fill(dot, "bi_lstm_2") == FRESH_FILL
    assert _fill(dot, "dense") == FRESH_FILL
    assert _fill(model_dot(_info(names)), "bi_lstm_1") == PLAIN_FILL  # the Before diagram


@pytest.mark.parametrize("scale", [1.0, 1.35])
def test_diagram_text_sizes_grow_with_the_text_scale(scale: float) -> None:
    dot = model_dot(_info(["a", "b"]), text_scale=scale)
    assert f"fontsize={round(NODE_FONT_PT * scale)}]" in dot  # 13 pt, 18 pt presenting
    assert f"fontsize={round(EDGE_FONT_PT * scale)}]" in dot  # 12 pt, 16 pt presenting
    assert (NODE_FONT_PT, EDGE_FONT_PT) == (13, 12)


def test_the_colour_key_names_only_the_roles_drawn_in_their_colours() -> None:
    key = colour_key_html([Role.UNCHANGED, Role.BACKWARD, Role.FRESH])
    assert key.startswith(explain.CONVERT_KEY_TITLE)
    for role in (Role.UNCHANGED, Role.BACKWARD, Role.FRESH):
        assert explain.CONVERT_KEY[role.value] in key
    assert explain.CONVERT_KEY["kept"] not in key
    assert f"linear-gradient(90deg, {KEPT_FILL} 50%, {FRESH_FILL} 50%)" in key
    assert key.index("unchanged") < key.index("forward half") < key.index("retrain")
