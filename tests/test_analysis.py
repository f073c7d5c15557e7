"""The pure-Python analysis must say exactly what real Keras (and real torch) say.

An exhaustive grid (cells × merge modes × depth 1–3 × return_sequences × return_state × input
kind × head × batch) plus hypothesis-generated specs: every layer's name, type, output shape(s)
and ``count_params()``, and the model total, for both variants.
"""

from __future__ import annotations

import importlib.util
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import analyze, compare, recurrent_params
from bilstm_lab.core.spec import (
    Cell,
    DenseHead,
    FeatureInput,
    MergeMode,
    ModelSpec,
    SpecError,
    TokenInput,
)
from bilstm_lab.models.builder import build_model
from tests.keras_facts import keras_layer_facts, torch_reference_params

HAS_TORCH = importlib.util.find_spec("torch") is not None

# Distinct small sizes, so a formula that swaps two of them cannot pass by accident.
UNITS_BY_DEPTH = {1: (7,), 2: (7, 5), 3: (7, 5, 3)}
INPUTS = {
    "features": FeatureInput(seq_len=4, features=3),
    "tokens": TokenInput(seq_len=4, vocab=11, embedding_dim=6),
}
HEADS = {"no head": None, "dense": DenseHead(2, "softmax")}
BATCHES = (None, 2)

GRID = list(
    itertools.product(
        Cell, MergeMode, (1, 2, 3), (True, False), (False, True), INPUTS, HEADS, BATCHES
    )
)


def _grid_id(combo: tuple) -> str:
    cell, merge, depth, sequences, state, input_kind, head, batch = combo
    return f"{cell.value}-{merge.value}-d{depth}-{'seq' if sequences else 'last'}-{'state' if state else 'nostate'}-{input_kind}-{head.replace(' ', '')}-b{batch}"


def _grid_spec(combo: tuple) -> ModelSpec:
    cell, merge, depth, sequences, state, input_kind, head, batch = combo
    return ModelSpec(
        cell=cell,
        units=UNITS_BY_DEPTH[depth],
        return_sequences=sequences,
        merge_mode=merge,
        return_state=state,
        input=INPUTS[input_kind],
        head=HEADS[head],
        batch_size=batch,
    )


def assert_matches_keras(spec: ModelSpec) -> None:
    """Build both variants with real Keras and compare every number with the analysis."""
    for bidirectional in (False, True):
        analysis = analyze(spec, bidirectional)
        model = build_model(spec, bidirectional)
        facts = keras_layer_facts(model)
        expected = [(r.name, r.type, list(r.output_shapes), r.params) for r in analysis.layers]
        actual = [(f.name, f.type, f.output_shapes, f.params) for f in facts]
        assert actual == expected, f"{spec} bidirectional={bidirectional}"
        assert model.count_params() == analysis.total_params


def test_grid_size() -> None:
    # 3 cells × 5 merge modes × 3 depths × 2 × 2 × 2 inputs × 2 heads × 2 batches.
    assert len(GRID) == 1440


@pytest.mark.slow
@pytest.mark.parametrize("combo", GRID, ids=_grid_id)
def test_grid_matches_keras(combo: tuple) -> None:
    _cell, merge, depth, *_rest = combo
    head = combo[6]
    if merge is MergeMode.NONE and (depth > 1 or head != "no head"):
        # The combinations that cannot work must be refused, naming merge_mode.
        with pytest.raises(SpecError) as error:
            _grid_spec(combo)
        assert error.value.field == "merge_mode"
        return
    assert_matches_keras(_grid_spec(combo))


@st.composite
def specs(draw: st.DrawFn) -> ModelSpec:
    """Valid specs with small random sizes (so building them stays cheap)."""
    depth = draw(st.integers(1, 3))
    merge = draw(st.sampled_from(list(MergeMode)))
    if merge is MergeMode.NONE:
        depth = 1
    seq_len = draw(st.integers(1, 9))
    if draw(st.booleans()):
        input_spec: FeatureInput | TokenInput = FeatureInput(seq_len, draw(st.integers(1, 40)))
    else:
        input_spec = TokenInput(seq_len, draw(st.integers(2, 300)), draw(st.integers(1, 40)))
    head = None
    if merge is not MergeMode.NONE and draw(st.booleans()):
        head = DenseHead(
            draw(st.integers(1, 30)), draw(st.sampled_from(["linear", "relu", "softmax"]))
        )
    return ModelSpec(
        cell=draw(st.sampled_from(list(Cell))),
        units=tuple(draw(st.lists(st.integers(1, 48), min_size=depth, max_size=depth))),
        return_sequences=draw(st.booleans()),
        merge_mode=merge,
        return_state=draw(st.booleans()),
        input=input_spec,
        head=head,
        batch_size=draw(st.one_of(st.none(), st.integers(1, 16))),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_hypothesis_specs_match_keras(spec: ModelSpec) -> None:
    assert_matches_keras(spec)


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
@settings(max_examples=80, deadline=None)
@given(specs())
def test_torch_counts_match_real_torch(spec: ModelSpec) -> None:
    for bidirectional in (False, True):
        assert analyze(spec, bidirectional).torch_params == torch_reference_params(
            spec, bidirectional
        )


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
@pytest.mark.parametrize(
    "combo", [c for c in GRID if c[5] == "tokens" and c[7] is None], ids=_grid_id
)
def test_torch_counts_grid(combo: tuple) -> None:
    try:
        spec = _grid_spec(combo)
    except SpecError:
        return  # refused combinations are covered by test_grid_matches_keras
    for bidirectional in (False, True):
        assert analyze(spec, bidirectional).torch_params == torch_reference_params(
            spec, bidirectional
        )


def test_formula_shows_substituted_numbers() -> None:
    spec = ModelSpec(units=(64,), input=FeatureInput(10, 128))
    uni, bi = analyze(spec, False).layers[0], analyze(spec, True).layers[0]
    assert uni.formula == "4·64·(128+64+1) = 49,408"
    assert bi.formula == "2 × 4·64·(128+64+1) = 98,816"
    assert uni.torch_formula == "4·64·(128+64+2) = 49,664"


@pytest.mark.parametrize("cell", list(Cell))
def test_formula_evaluates_to_params(cell: Cell) -> None:
    # The formula text, evaluated, gives the count it claims (for every cell and variant).
    spec = ModelSpec(cell=cell, units=(9, 4), input=TokenInput(5, 50, 3), head=DenseHead(2, "relu"))
    for bidirectional in (False, True):
        for row in analyze(spec, bidirectional).layers:
            expression, _, shown = row.formula.rpartition(" = ")
            value = eval(expression.replace("·", "*").replace("×", "*").replace(",", ""))
            assert value == row.params == int(shown.replace(",", ""))


def test_gru_keeps_two_bias_vectors_like_torch() -> None:
    spec = ModelSpec(cell=Cell.GRU, units=(8,), input=FeatureInput(5, 3))
    assert recurrent_params(Cell.GRU, 8, 3) == 3 * 8 * (3 + 8 + 2)
    assert analyze(spec, True).torch_params == analyze(spec, True).total_params


def test_stacked_ratio_and_reason() -> None:
    comparison = compare(
        ModelSpec(units=(64, 32), return_sequences=False, input=TokenInput(20, 10_000, 128))
    )
    ratios = {r.name: r for r in comparison.layer_ratios()}
    assert ratios["bilstm_1"].ratio == 2.0
    assert round(ratios["bilstm_2"].ratio, 2) == 3.32
    assert "64 to 128" in explain.ratio_reason(ratios["bilstm_2"])
    assert "embedding" not in ratios  # shared by both variants: not a difference


def test_sum_merge_keeps_upper_layers_at_exactly_two() -> None:
    comparison = compare(ModelSpec(units=(8, 8, 8), merge_mode="sum", input=FeatureInput(3, 2)))
    assert [r.ratio for r in comparison.layer_ratios()] == [2.0, 2.0, 2.0]


def test_json_shape_of_multi_output_layer() -> None:
    spec = ModelSpec(
        units=(4,),
        merge_mode="none",
        return_state=True,
        return_sequences=False,
        input=FeatureInput(3, 2),
    )
    row = analyze(spec, True).layers[0].to_dict()
    # forward, backward, then h and c of each direction: six tensors.
    assert row["output_shape"] == [[None, 4]] * 6
    assert analyze(spec, False).layers[0].to_dict()["output_shape"] == [[None, 4]] * 3
