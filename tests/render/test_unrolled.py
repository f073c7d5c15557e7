"""The unrolled picture must draw exactly the outputs Keras returns, and chains that run the right way."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.spec import FeatureInput, MergeMode, ModelSpec
from bilstm_lab.render.unrolled import LAST_STEP_NOTE, shown_steps, unrolled, unrolled_figure
from tests.render.spec_strategies import PRESET_SPECS, specs


@pytest.mark.parametrize(
    ("seq_len", "max_steps", "expected"),
    [
        (1, 6, (1,)),
        (6, 6, (1, 2, 3, 4, 5, 6)),
        (7, 6, (1, 2, 3, None, 6, 7)),
        (5000, 6, (1, 2, 3, None, 4999, 5000)),
        (10, 4, (1, 2, None, 10)),
        (None, 6, (1, 2, 3, None, "T−1", "T")),
        (None, 4, (1, 2, None, "T")),
    ],
)
def test_shown_steps(
    seq_len: int | None, max_steps: int, expected: tuple[int | str | None, ...]
) -> None:
    assert shown_steps(seq_len, max_steps) == expected


def _check_unrolled(spec: ModelSpec, bidirectional: bool) -> None:
    picture = unrolled(spec, bidirectional)
    variant = compare(spec).bi if bidirectional else compare(spec).uni
    last = variant.recurrent_rows[-1]
    # Exactly the outputs that exist: one picture tensor per Keras output of the layer.
    assert picture.output_tensors() == set(range(len(last.output_shapes)))
    steps = [s for s in picture.steps if s is not None]
    # A variable length has no last number: its last step is T.
    last = "T" if spec.input.seq_len is None else spec.input.seq_len
    assert steps[0] == 1 and steps[-1] == last
    assert (None in picture.steps) == (spec.input.seq_len is None or spec.input.seq_len > 6)
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
        assert f"f{last}" in sources and "b1" in sources
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
    assert LAST_STEP_NOTE in picture.note
    assert picture.note not in figure.layout.title.text  # shown beside it: titles never wrap
    labels = [text for trace in figure.data for text in trace.text]
    assert "…" in labels and "x<sub>30</sub>" in labels and "x<sub>1</sub>" in labels


def test_a_variable_length_is_drawn_up_to_t() -> None:
    spec = ModelSpec(units=(4,), input=FeatureInput(None, 3))
    picture = unrolled(spec, True)
    assert picture.node("iT").label == "x<sub>T</sub>"
    assert picture.node("bT").hover.endswith("has read x_T … x_T")
    assert "all T of them" in picture.note
    title = unrolled_figure(spec, True).layout.title.text
    assert title.startswith("Bidirectional LSTM unrolled over T steps (T = None: any length)")
