"""The pure-Python analysis must say exactly what real Keras (and real torch) say.

An exhaustive grid (cells × merge modes × depth 1–3 × return_sequences × return_state × input
kind × head × batch), a second, smaller grid for the cell options and a variable length
(cells × use_bias × reset_after × T None/number × merge modes × depth 1–2), plus
hypothesis-generated specs over every field: every layer's name, type, output shape(s) and
``count_params()``, and the model total, for both variants.
"""

from __future__ import annotations

import importlib.util
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import analyze, compare, recurrent_params, torch_recurrent_params
from bilstm_lab.core.spec import (
    Cell,
    DenseHead,
    FeatureInput,
    MergeMode,
    ModelSpec,
    SpecError,
    TokenInput,
)
from bilstm_lab.models.builder import build_model, cell_class
from bilstm_lab.models.verify import verify_spec
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


# The cell options and a variable length, each against every merge mode and depth 1–2. The
# other fields follow the depth, so that T = None meets both input kinds, a sequence and a last
# step, states and a head: depth 1 reads tokens and returns its last step and its states; depth
# 2 reads features, returns sequences into a Dense head, with a fixed batch.
OPTION_GRID = list(
    itertools.product(Cell, (True, False), (True, False), (None, 4), MergeMode, (1, 2))
)


def _option_id(combo: tuple) -> str:
    cell, use_bias, reset_after, seq_len, merge, depth = combo
    return (
        f"{cell.value}-{'bias' if use_bias else 'nobias'}-"
        f"{'after' if reset_after else 'before'}-T{seq_len}-{merge.value}-d{depth}"
    )


def _option_spec(combo: tuple) -> ModelSpec:
    cell, use_bias, reset_after, seq_len, merge, depth = combo
    if depth == 1:
        input_spec: FeatureInput | TokenInput = TokenInput(seq_len, 11, 6)
        others = {"return_sequences": False, "return_state": True}
    else:
        input_spec = FeatureInput(seq_len, 3)
        others = {"head": DenseHead(2, "softmax"), "batch_size": 2}
    return ModelSpec(
        cell=cell,
        units=UNITS_BY_DEPTH[depth],
        merge_mode=merge,
        use_bias=use_bias,
        reset_after=reset_after,
        input=input_spec,
        **others,
    )


def _option_refusal(combo: tuple) -> str | None:
    """The field a spec of the option grid is refused for, or ``None`` when it is valid."""
    cell, _use_bias, reset_after, _seq_len, merge, depth = combo
    if not reset_after and cell is not Cell.GRU:
        return "reset_after"
    return "merge_mode" if merge is MergeMode.NONE and depth > 1 else None


def test_option_grid_size() -> None:
    # 3 cells × 2 use_bias × 2 reset_after × 2 lengths × 5 merge modes × 2 depths, of which
    # 144 are valid (288 Keras models): a tenth of the main grid.
    assert len(OPTION_GRID) == 240
    assert sum(_option_refusal(combo) is None for combo in OPTION_GRID) == 144


@pytest.mark.slow
@pytest.mark.parametrize("combo", OPTION_GRID, ids=_option_id)
def test_option_grid_matches_keras(combo: tuple) -> None:
    refusal = _option_refusal(combo)
    if refusal is not None:
        with pytest.raises(SpecError) as error:
            _option_spec(combo)
        assert error.value.field == refusal
        return
    assert_matches_keras(_option_spec(combo))


@st.composite
def specs(draw: st.DrawFn) -> ModelSpec:
    """Valid specs with small random sizes (so building them stays cheap)."""
    depth = draw(st.integers(1, 3))
    merge = draw(st.sampled_from(list(MergeMode)))
    if merge is MergeMode.NONE:
        depth = 1
    cell = draw(st.sampled_from(list(Cell)))
    seq_len = draw(st.one_of(st.none(), st.integers(1, 9)))
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
        cell=cell,
        units=tuple(draw(st.lists(st.integers(1, 48), min_size=depth, max_size=depth))),
        return_sequences=draw(st.booleans()),
        merge_mode=merge,
        return_state=draw(st.booleans()),
        use_bias=draw(st.booleans()),
        # Only a GRU takes reset_after; the other cells refuse reset_after=False.
        reset_after=draw(st.booleans()) if cell is Cell.GRU else True,
        input=input_spec,
        head=head,
        batch_size=draw(st.one_of(st.none(), st.integers(1, 16))),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_hypothesis_specs_match_keras(spec: ModelSpec) -> None:
    assert_matches_keras(spec)


def assert_torch_matches(spec: ModelSpec) -> None:
    """The analysis's PyTorch count equals real torch's, or is ``None`` where there is none."""
    for bidirectional in (False, True):
        counted = analyze(spec, bidirectional).torch_params
        if spec.cell is Cell.GRU and not spec.reset_after:
            # PyTorch's GRU is Keras's reset_after=True: no count, rather than a wrong one.
            assert counted is None
        else:
            assert counted == torch_reference_params(spec, bidirectional)


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
@settings(max_examples=80, deadline=None)
@given(specs())
def test_torch_counts_match_real_torch(spec: ModelSpec) -> None:
    assert_torch_matches(spec)


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
@pytest.mark.parametrize(
    "combo", [c for c in OPTION_GRID if _option_refusal(c) is None], ids=_option_id
)
def test_torch_counts_option_grid(combo: tuple) -> None:
    assert_torch_matches(_option_spec(combo))


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
@pytest.mark.parametrize(
    "combo", [c for c in GRID if c[5] == "tokens" and c[7] is None], ids=_grid_id
)
def test_torch_counts_grid(combo: tuple) -> None:
    try:
        spec = _grid_spec(combo)
    except SpecError:
        return  # refused combinations are covered by test_grid_matches_keras
    assert_torch_matches(spec)


def test_formula_shows_substituted_numbers() -> None:
    spec = ModelSpec(units=(64,), input=FeatureInput(10, 128))
    uni, bi = analyze(spec, False).layers[0], analyze(spec, True).layers[0]
    assert uni.formula == "4·64·(128+64+1) = 49,408"
    assert bi.formula == "2 × 4·64·(128+64+1) = 98,816"
    assert uni.torch_formula == "4·64·(128+64+2) = 49,664"


CELL_OPTIONS = [
    pytest.param(cell, use_bias, reset_after, id=f"{cell.value}-{use_bias}-{reset_after}")
    for cell in Cell
    for use_bias in (True, False)
    for reset_after in ((True, False) if cell is Cell.GRU else (True,))
]


def _evaluate(formula: str) -> tuple[int, int]:
    """What a formula's expression evaluates to, and the number it shows after ``=``."""
    expression, _, shown = formula.rpartition(" = ")
    value = eval(expression.replace("·", "*").replace("×", "*").replace(",", ""))
    return value, int(shown.replace(",", ""))


@pytest.mark.parametrize("cell, use_bias, reset_after", CELL_OPTIONS)
def test_formula_evaluates_to_params(cell: Cell, use_bias: bool, reset_after: bool) -> None:
    # The formula text, evaluated, gives the count it claims (every cell, option and variant).
    spec = ModelSpec(
        cell=cell, units=(9, 4), use_bias=use_bias, reset_after=reset_after,
        input=TokenInput(5, 50, 3), head=DenseHead(2, "relu"),
    )  # fmt: skip
    for bidirectional in (False, True):
        for row in analyze(spec, bidirectional).layers:
            assert _evaluate(row.formula) == (row.params, row.params)
            if row.torch_formula is not None:
                assert _evaluate(row.torch_formula) == (row.torch_params, row.torch_params)


# Keras's own tests build LSTM(3, use_bias=False) and GRU(3, reset_after=False) on 4 features;
# before the spec had these options the lab could only say 96 and 81 for them.
KERAS_OWN_INPUT = FeatureInput(2, 4)


def _keras_count(cell: Cell, **options: bool) -> int:
    """``count_params()`` of a real Keras layer with 3 units, built on 4 features."""
    layer = cell_class(cell)(3, **options)
    layer.build((None, 2, 4))
    return layer.count_params()


def test_lstm_without_bias_is_84_not_96() -> None:
    spec = ModelSpec(units=(3,), use_bias=False, input=KERAS_OWN_INPUT)
    row = analyze(spec, False).layers[0]
    assert row.params == _keras_count(Cell.LSTM, use_bias=False) == 84
    assert row.formula == "4·3·(4+3) = 84"
    assert analyze(spec.with_changes(use_bias=True), False).total_params == 96
    assert analyze(spec, True).total_params == 168
    assert row.torch_formula == "4·3·(4+3) = 84"  # bias=False drops b_ih and b_hh


def test_gru_reset_after_false_is_72_not_81() -> None:
    spec = ModelSpec(cell=Cell.GRU, units=(3,), reset_after=False, input=KERAS_OWN_INPUT)
    row = analyze(spec, False).layers[0]
    assert row.params == _keras_count(Cell.GRU, reset_after=False) == 72
    assert row.formula == "3·3·(4+3+1) = 72"
    assert analyze(spec.with_changes(reset_after=True), False).total_params == 81
    assert analyze(spec, False).torch_params is None  # no PyTorch equivalent, not a number
    assert row.torch_formula is None


@pytest.mark.parametrize(
    "reset_after, formula",
    [(True, "3·3·(4+3+2) = 81"), (False, "3·3·(4+3+1) = 72")],
)
def test_gru_formula_shows_the_bias_vectors(reset_after: bool, formula: str) -> None:
    spec = ModelSpec(cell=Cell.GRU, units=(3,), reset_after=reset_after, input=KERAS_OWN_INPUT)
    assert analyze(spec, False).layers[0].formula == formula
    # Without a bias there is no bias either way.
    no_bias = spec.with_changes(use_bias=False)
    assert analyze(no_bias, False).layers[0].formula == "3·3·(4+3) = 63"
    assert _keras_count(Cell.GRU, use_bias=False, reset_after=reset_after) == 63


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
@pytest.mark.parametrize("cell", list(Cell))
def test_torch_bias_false_drops_both_bias_vectors(cell: Cell) -> None:
    from torch import nn

    module = getattr(nn, cell.torch_name)(4, 3, bias=False)
    assert [name for name, _ in module.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    count = sum(p.numel() for p in module.parameters())
    assert count == torch_recurrent_params(cell, 3, 4, use_bias=False)
    assert count == recurrent_params(cell, 3, 4, use_bias=False)  # no bias: Keras agrees


def test_variable_length_shapes_read_none() -> None:
    spec = ModelSpec(units=(5,), input=TokenInput(None, 11, 6), head=DenseHead(2))
    shapes = [row.output_shapes for row in analyze(spec, True).layers]
    assert shapes == [((None, None, 6),), ((None, None, 10),), ((None, None, 2),)]
    assert analyze(spec, True).input_shape == (None, None)
    model = build_model(spec, True)
    assert tuple(model.inputs[0].shape) == (None, None)


@pytest.mark.parametrize(
    "spec, with_torch",
    [
        (ModelSpec(units=(3,), use_bias=False, input=FeatureInput(None, 4)), HAS_TORCH),
        (ModelSpec(cell=Cell.GRU, units=(3,), reset_after=False, input=FeatureInput(2, 4)), False),
    ],
    ids=["lstm-no-bias-T-none", "gru-reset-before"],
)
def test_verify_checks_torch_only_where_it_has_an_equivalent(
    spec: ModelSpec, with_torch: bool
) -> None:
    verification = verify_spec(spec)
    assert verification.ok, verification.mismatches
    assert verification.torch_checked == with_torch


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


def test_a_deep_stack_says_its_repeated_growth_once() -> None:
    from bilstm_lab.core import explain
    from bilstm_lab.core.analysis import same_growth_runs

    comparison = compare(ModelSpec(units=(64, 64, 64, 64, 64, 64)))
    runs = same_growth_runs(comparison.layer_ratios())
    assert [[r.name for r in run] for run in runs] == [
        ["bilstm_1"],
        ["bilstm_2", "bilstm_3", "bilstm_4", "bilstm_5", "bilstm_6"],
    ]
    headline = explain.parameter_headline(comparison)
    assert headline.count("because") == 1
    assert "2.99× in bilstm_2 – bilstm_6 (5 layers) because each one's input widened" in headline
    reasons = explain.growth_reasons(comparison)
    assert len(reasons) == 2 and "(**2.99×**) each:" in reasons[1]
    # Layers that differ are never merged into one run.
    mixed = compare(ModelSpec(units=(64, 32, 32, 16)))
    assert [len(run) for run in same_growth_runs(mixed.layer_ratios())] == [1, 1, 1, 1]
