"""The parameter breakdown must cut each layer's weights into blocks that sum to the analysis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from bilstm_lab.core.analysis import VariantAnalysis, compare
from bilstm_lab.core.spec import Cell, FeatureInput, ModelSpec, TokenInput
from bilstm_lab.render.breakdown import GATE_NAMES, PARTS, breakdown_figure, parameter_breakdown
from tests.render.spec_strategies import PRESET_SPECS, specs, variants


def _check_breakdown(variant: VariantAnalysis) -> None:
    blocks = parameter_breakdown(variant)
    directions = 2 if variant.bidirectional else 1
    gates = len(GATE_NAMES[variant.spec.cell])
    for row in variant.recurrent_rows:
        mine = [block for block in blocks if block.layer == row.name]
        assert sum(block.count for block in mine) == row.params
        parts = len(PARTS) if variant.spec.use_bias else len(PARTS) - 1  # no bias blocks
        assert len(mine) == directions * gates * parts
        for direction in {block.direction for block in mine}:
            half = sum(block.count for block in mine if block.direction == direction)
            assert half * directions == row.params
    assert sum(block.count for block in blocks) == variant.recurrent_params


@pytest.mark.parametrize("spec", PRESET_SPECS)
def test_breakdown_sums_to_analysis_for_presets(spec: ModelSpec) -> None:
    for variant in variants(spec):
        _check_breakdown(variant)


@settings(max_examples=150, deadline=None)
@given(specs())
def test_breakdown_sums_to_analysis(spec: ModelSpec) -> None:
    for variant in variants(spec):
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


@pytest.mark.parametrize(
    "use_bias, reset_after, bias_shape",
    [(True, True, (2, 8)), (True, False, (8,)), (False, True, None), (False, False, None)],
)
def test_gru_bias_blocks_follow_the_options(
    use_bias: bool, reset_after: bool, bias_shape: tuple[int, ...] | None
) -> None:
    spec = ModelSpec(
        cell=Cell.GRU, units=(8,), use_bias=use_bias, reset_after=reset_after,
        input=FeatureInput(5, 3),
    )  # fmt: skip
    blocks = parameter_breakdown(compare(spec).uni)
    biases = [b.shape for b in blocks if b.part == "bias"]
    assert biases == ([] if bias_shape is None else [bias_shape] * 3)


def test_breakdown_figure_bars_add_up() -> None:
    spec = ModelSpec(units=(6, 4), input=FeatureInput(5, 3))
    drawn = variants(spec)
    figure = breakdown_figure(drawn)
    totals: dict[str, int] = {}
    for trace in figure.data:
        for bar, count in zip(trace.y, trace.x, strict=True):
            totals[bar] = totals.get(bar, 0) + count
    expected = {
        f"{v.label} · {row.name} · {direction}": row.params // (2 if v.bidirectional else 1)
        for v in drawn
        for row in v.recurrent_rows
        for direction in (("forward", "backward") if v.bidirectional else ("forward",))
    }
    assert totals == expected
