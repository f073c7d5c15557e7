"""The two-stack DOT picture: every layer, shape and count of the analysis, aligned by layer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from bilstm_lab.core.analysis import Comparison, compare
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import DenseHead, FeatureInput, MergeMode, ModelSpec
from bilstm_lab.render.stack import EDGE_FONT_PT, NODE_FONT_PT, stacks_dot
from bilstm_lab.render.stack_diagram import output_labels
from tests.render.spec_strategies import PRESET_SPECS, specs

NODE = re.compile(r"^\s*(\w+) \[label=", flags=re.MULTILINE)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)", flags=re.MULTILINE)
RANKS = re.compile(r"\{ rank=same; ([^}]*)\}")


def _same_rank_groups(dot: str) -> list[set[str]]:
    return [
        {name.strip() for name in group.split(";") if name.strip()} for group in RANKS.findall(dot)
    ]


def _check_dot(comparison: Comparison) -> None:
    dot = stacks_dot(comparison)
    assert dot.startswith("digraph") and dot.count("{") == dot.count("}")
    for variant in (comparison.uni, comparison.bi):
        assert variant.label in dot
        for row in variant.layers:
            assert row.name in dot
            assert fmt(row.params) in dot
            for shape in row.output_shapes:
                assert format_shape((shape,)) in dot
        assert format_shape((variant.input_shape,)) in dot
    # Every edge points at a node that is declared.
    declared = set(NODE.findall(dot))
    for source, target in EDGE.findall(dot):
        assert source in declared and target in declared
    # The outputs: one note per variant, naming every tensor the model returns.
    for prefix, variant in (("u", comparison.uni), ("b", comparison.bi)):
        note = re.search(rf'^\s*{prefix}_out \[label="([^"]*)"', dot, flags=re.MULTILINE)
        assert note is not None
        count = len(variant.layers[-1].output_shapes) + (
            len(variant.spec.cell.state_names) * (2 if variant.bidirectional else 1)
            if variant.spec.return_state and variant.spec.head is not None
            else 0
        )
        labels = output_labels(variant.spec, variant.bidirectional, count)
        for label in labels:
            assert label in note.group(1)
    # Layer by layer, the plain layer shares its row with its bidirectional twin's directions.
    groups = _same_rank_groups(dot)
    for position, row in enumerate(comparison.bi.layers):
        twins = (
            {f"u{position}", f"b{position}_f", f"b{position}_b"}
            if row.is_recurrent
            else {f"u{position}", f"b{position}"}
        )
        assert any(twins <= group for group in groups), (position, groups)


@pytest.mark.parametrize("spec", PRESET_SPECS)
def test_dot_shows_every_layer_for_presets(spec: ModelSpec) -> None:
    _check_dot(compare(spec))


@settings(max_examples=100, deadline=None)
@given(specs())
def test_dot_shows_every_layer(spec: ModelSpec) -> None:
    _check_dot(compare(spec))


def test_bidirectional_layer_has_wrapper_both_directions_and_merge() -> None:
    spec = ModelSpec(units=(64,), input=FeatureInput(10, 100))
    dot = stacks_dot(compare(spec))
    assert "bilstm_1 · Bidirectional(LSTM(64))" in dot
    assert "forward LSTM(64)" in dot and "backward LSTM(64)" in dot
    assert "merge: concat" in dot
    assert "42,240 params" in dot  # each direction's half of 84,480
    none_dot = stacks_dot(compare(spec.with_changes(merge_mode=MergeMode.NONE)))
    assert "merge:" not in none_dot
    assert "forward output" in none_dot and "backward output" in none_dot


def test_no_arrow_runs_through_a_layer_name() -> None:
    """The wrapper's name is a box the arrows end on, never a frame label they cross."""
    dot = stacks_dot(compare(ModelSpec(units=(8, 8))))
    assert re.findall(r"subgraph cluster_\w+ \{\s*style=[^;]*; color=[^;]*; label=\"\";", dot)
    assert 'label="bilstm' not in dot.split("subgraph", 1)[1].split("b0_w", 1)[0]
    assert re.search(r"-> b0_w \[label=", dot)  # the input arrow ends on the wrapper box


def test_states_are_listed_in_one_note_not_fanned_out() -> None:
    spec = ModelSpec(units=(16,), return_state=True, head=DenseHead(3, "softmax"))
    dot = stacks_dot(compare(spec))
    assert len(re.findall(r"^\s*\w+_out \[label", dot, flags=re.MULTILINE)) == 2
    assert "state backward c" in dot
    assert dot.count("style=dashed") >= 3  # plain states, forward states, backward states


def test_text_sizes_and_scale() -> None:
    dot = stacks_dot(compare(ModelSpec()))
    assert f"fontsize={NODE_FONT_PT}" in dot and f"fontsize={EDGE_FONT_PT}" in dot
    bigger = stacks_dot(compare(ModelSpec()), text_scale=1.5)
    assert f"fontsize={round(NODE_FONT_PT * 1.5)}" in bigger


def test_a_variable_length_reads_none_on_the_edges() -> None:
    spec = ModelSpec(units=(4, 2), use_bias=False, input=FeatureInput(None, 3))
    dot = stacks_dot(compare(spec))
    assert "(None, None, 3)" in dot and "(None, None, 8)" in dot and "(None, None, 4)" in dot
