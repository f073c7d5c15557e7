"""The layer-stack DOT must show every layer, shape and parameter count the analysis has."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from bilstm_lab.core.analysis import VariantAnalysis, compare
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import FeatureInput, MergeMode, ModelSpec
from bilstm_lab.render.stack import stack_dot
from tests.render.spec_strategies import PRESET_SPECS, specs, variants


def _check_dot(variant: VariantAnalysis) -> None:
    dot = stack_dot(variant)
    assert dot.startswith("digraph") and dot.count("{") == dot.count("}")
    for row in variant.layers:
        assert row.name in dot
        assert fmt(row.params) in dot
        for shape in row.output_shapes:
            assert format_shape((shape,)) in dot
    assert format_shape((variant.input_shape,)) in dot
    # Every edge points at a node that is declared.
    declared = set(re.findall(r"^\s*(\w+) \[label=", dot, flags=re.MULTILINE))
    for source, target in re.findall(r"^\s*(\w+) -> (\w+)", dot, flags=re.MULTILINE):
        assert source in declared and target in declared
    # The model's outputs: one output node per tensor the last layer hands out.
    outputs = re.findall(r"^\s*out\d+ \[", dot, flags=re.MULTILINE)
    assert len(outputs) == len(variant.layers[-1].output_shapes) + (
        len(variant.spec.cell.state_names) * (2 if variant.bidirectional else 1)
        if variant.spec.return_state and variant.spec.head is not None
        else 0
    )


@pytest.mark.parametrize("spec", PRESET_SPECS)
def test_dot_shows_every_layer_for_presets(spec: ModelSpec) -> None:
    for variant in variants(spec):
        _check_dot(variant)


@settings(max_examples=100, deadline=None)
@given(specs())
def test_dot_shows_every_layer(spec: ModelSpec) -> None:
    for variant in variants(spec):
        _check_dot(variant)


def test_dot_bidirectional_cluster_has_both_directions_and_merge() -> None:
    spec = ModelSpec(units=(64,), input=FeatureInput(10, 100))
    dot = stack_dot(compare(spec).bi)
    assert "forward LSTM(64)" in dot and "backward LSTM(64)" in dot
    assert "merge: concat" in dot
    assert "42,240 params" in dot  # each direction's half of 84,480
    none_dot = stack_dot(compare(spec.with_changes(merge_mode=MergeMode.NONE)).bi)
    assert "merge:" not in none_dot
    assert "forward output" in none_dot and "backward output" in none_dot


def test_a_variable_length_reads_none_on_the_edges() -> None:
    spec = ModelSpec(units=(4, 2), use_bias=False, input=FeatureInput(None, 3))
    dot = stack_dot(compare(spec).bi)
    assert "(None, None, 3)" in dot and "(None, None, 8)" in dot and "(None, None, 4)" in dot
