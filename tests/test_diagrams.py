"""Diagrams must show exactly what the analysis says: the same layers, shapes, outputs, weights.

Pure Python (no TensorFlow); the analysis itself is held to real Keras in test_analysis.py.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilstm_lab.core.analysis import VariantAnalysis, compare, fmt, format_shape
from bilstm_lab.core.presets import PRESETS
from bilstm_lab.core.spec import Cell, DenseHead, FeatureInput, MergeMode, ModelSpec, TokenInput
from bilstm_lab.render.diagrams import (
    GATE_NAMES,
    LAST_STEP_NOTE,
    PARTS,
    breakdown_figure,
    parameter_breakdown,
    shown_steps,
    stack_dot,
    unrolled,
    unrolled_figure,
)
from tests.conftest import ROOT


@st.composite
def specs(draw: st.DrawFn) -> ModelSpec:
    """Valid specs over every field (sizes small; nothing is built)."""
    merge = draw(st.sampled_from(list(MergeMode)))
    depth = 1 if merge is MergeMode.NONE else draw(st.integers(1, 4))
    seq_len = draw(st.integers(1, 60))
    if draw(st.booleans()):
        input_spec: FeatureInput | TokenInput = FeatureInput(seq_len, draw(st.integers(1, 50)))
    else:
        input_spec = TokenInput(seq_len, draw(st.integers(2, 500)), draw(st.integers(1, 50)))
    head = None
    if merge is not MergeMode.NONE and draw(st.booleans()):
        head = DenseHead(draw(st.integers(1, 20)), "softmax")
    return ModelSpec(
        cell=draw(st.sampled_from(list(Cell))),
        units=tuple(draw(st.lists(st.integers(1, 70), min_size=depth, max_size=depth))),
        return_sequences=draw(st.booleans()),
        merge_mode=merge,
        return_state=draw(st.booleans()),
        input=input_spec,
        head=head,
        batch_size=draw(st.one_of(st.none(), st.integers(1, 64))),
    )


PRESET_SPECS = [pytest.param(p.spec, id=p.key) for p in PRESETS]


def _variants(spec: ModelSpec) -> list[VariantAnalysis]:
    comparison = compare(spec)
    return [comparison.uni, comparison.bi]


# ---------------------------------------------------------------- parameter breakdown


def _check_breakdown(variant: VariantAnalysis) -> None:
    blocks = parameter_breakdown(variant)
    directions = 2 if variant.bidirectional else 1
    gates = len(GATE_NAMES[variant.spec.cell])
    for row in variant.recurrent_rows:
        mine = [block for block in blocks if block.layer == row.name]
        assert sum(block.count for block in mine) == row.params
        assert len(mine) == directions * gates * len(PARTS)
        for direction in {block.direction for block in mine}:
            half = sum(block.count for block in mine if block.direction == direction)
            assert half * directions == row.params
    assert sum(block.count for block in blocks) == variant.recurrent_params


@pytest.mark.parametrize("spec", PRESET_SPECS)
def test_breakdown_sums_to_analysis_for_presets(spec: ModelSpec) -> None:
    for variant in _variants(spec):
        _check_breakdown(variant)


@settings(max_examples=150, deadline=None)
@given(specs())
def test_breakdown_sums_to_analysis(spec: ModelSpec) -> None:
    for variant in _variants(spec):
        _check_breakdown(variant)


def test_breakdown_blocks_of_the_second_stacked_layer() -> None:
    # Seed 000 example 3: the second BiLSTM reads 128 features (64 forward + 64 backward).
    spec = ModelSpec(units=(64, 32), input=TokenInput(20, 10_000, 128))
    blocks = parameter_breakdown(compare(spec).bi)
    second = [b for b in blocks if b.layer == "bilstm_2" and b.direction == "backward"]
    shapes = {(b.gate, b.part): b.shape for b in second}
    assert shapes[("forget gate f", "input kernel")] == (128, 32)
    assert shapes[("forget gate f", "recurrent kernel")] == (32, 32)
    assert shapes[("forget gate f", "bias")] == (32,)


def test_gru_keeps_two_bias_vectors_per_gate() -> None:
    spec = ModelSpec(cell=Cell.GRU, units=(8,), input=FeatureInput(5, 3))
    biases = [b for b in parameter_breakdown(compare(spec).uni) if b.part == "bias"]
    assert [b.shape for b in biases] == [(2, 8)] * 3


def test_breakdown_figure_bars_add_up() -> None:
    spec = ModelSpec(units=(6, 4), input=FeatureInput(5, 3))
    variants = _variants(spec)
    figure = breakdown_figure(variants)
    totals: dict[str, int] = {}
    for trace in figure.data:
        for bar, count in zip(trace.y, trace.x, strict=True):
            totals[bar] = totals.get(bar, 0) + count
    expected = {
        f"{v.label} · {row.name} · {direction}": row.params // (2 if v.bidirectional else 1)
        for v in variants
        for row in v.recurrent_rows
        for direction in (("forward", "backward") if v.bidirectional else ("forward",))
    }
    assert totals == expected


# ---------------------------------------------------------------- unrolled in time


@pytest.mark.parametrize(
    ("seq_len", "max_steps", "expected"),
    [
        (1, 6, (1,)),
        (6, 6, (1, 2, 3, 4, 5, 6)),
        (7, 6, (1, 2, 3, None, 6, 7)),
        (5000, 6, (1, 2, 3, None, 4999, 5000)),
        (10, 4, (1, 2, None, 10)),
    ],
)
def test_shown_steps(seq_len: int, max_steps: int, expected: tuple[int | None, ...]) -> None:
    assert shown_steps(seq_len, max_steps) == expected


def _check_unrolled(spec: ModelSpec, bidirectional: bool) -> None:
    picture = unrolled(spec, bidirectional)
    variant = compare(spec).bi if bidirectional else compare(spec).uni
    last = variant.recurrent_rows[-1]
    # Exactly the outputs that exist: one picture tensor per Keras output of the layer.
    assert picture.output_tensors() == set(range(len(last.output_shapes)))
    steps = [s for s in picture.steps if s is not None]
    assert steps[0] == 1 and steps[-1] == spec.input.seq_len
    assert (None in picture.steps) == (spec.input.seq_len > 6)
    split = bidirectional and spec.merge_mode is MergeMode.NONE
    outputs = [n for n in picture.nodes if n.kind == "output"]
    if spec.return_sequences:
        assert len(outputs) == len(steps) * (2 if split else 1)
    else:
        assert len(outputs) == (2 if split else 1)
    states = [n for n in picture.nodes if n.kind == "state"]
    expected_states = len(spec.cell.state_names) * (2 if bidirectional else 1)
    assert len(states) == (expected_states if spec.return_state else 0)
    assert any(n.kind == "backward" for n in picture.nodes) == bidirectional
    by_id = {n.id: n for n in picture.nodes}
    for edge in picture.edges:
        source, target = by_id[edge.source], by_id[edge.target]
        if edge.kind == "forward":
            assert source.x < target.x
        if edge.kind == "backward":
            assert source.x > target.x
    if bidirectional and not spec.return_sequences:
        assert LAST_STEP_NOTE in picture.note
        # The summary reads the forward chain's last step and the backward chain's first.
        sources = {e.source for e in picture.edges if e.kind in ("merge", "output")}
        assert f"f{spec.input.seq_len}" in sources and "b1" in sources
    else:
        assert LAST_STEP_NOTE not in picture.note


@pytest.mark.parametrize("spec", PRESET_SPECS)
def test_unrolled_outputs_match_analysis_for_presets(spec: ModelSpec) -> None:
    for bidirectional in (False, True):
        _check_unrolled(spec, bidirectional)


@settings(max_examples=150, deadline=None)
@given(specs())
def test_unrolled_outputs_match_analysis(spec: ModelSpec) -> None:
    for bidirectional in (False, True):
        _check_unrolled(spec, bidirectional)


def test_unrolled_figure_has_an_arrow_per_edge_and_the_note() -> None:
    spec = ModelSpec(units=(8,), return_sequences=False, input=FeatureInput(30, 3))
    picture = unrolled(spec, True)
    figure = unrolled_figure(spec, True)
    assert len(figure.layout.annotations) == len(picture.edges)
    assert LAST_STEP_NOTE in figure.layout.title.text
    labels = [text for trace in figure.data for text in trace.text]
    assert "…" in labels and "x<sub>30</sub>" in labels and "x<sub>1</sub>" in labels


# ---------------------------------------------------------------- layer stack (DOT)


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
    for variant in _variants(spec):
        _check_dot(variant)


@settings(max_examples=100, deadline=None)
@given(specs())
def test_dot_shows_every_layer(spec: ModelSpec) -> None:
    for variant in _variants(spec):
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


def test_pure_modules_do_not_import_tensorflow() -> None:
    code = (
        "import sys, bilstm_lab.render.diagrams, bilstm_lab.render.codegen; "
        "bad = [m for m in ('tensorflow', 'keras', 'streamlit', 'torch') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout
