"""The generated code runs, and builds exactly what the analysis says.

Keras code is executed with real Keras (both variants: every layer's name, output shape and
``count_params()``); PyTorch code with real torch (parameter count, output shape, and the same
outputs as `bilstm_lab.torch_equivalent` when given its weights).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
from typing import Any

import pytest

from bilstm_lab.core.analysis import Shape, VariantAnalysis, analyze, has_torch_equivalent
from bilstm_lab.core.presets import PRESETS
from bilstm_lab.core.spec import (
    Cell,
    DenseHead,
    FeatureInput,
    MergeMode,
    ModelSpec,
    SpecError,
    TokenInput,
)
from bilstm_lab.render.codegen import keras_code, keras_diff, torch_code
from tests.keras_facts import keras_layer_facts

HAS_TORCH = importlib.util.find_spec("torch") is not None

# Presets, plus specs that reach the branches the presets do not (small sizes: cheap to build).
EXTRA_SPECS = {
    "gru-stack-sum-batch": ModelSpec(
        cell=Cell.GRU, units=(6, 5), merge_mode=MergeMode.SUM, input=FeatureInput(4, 3),
        batch_size=3,
    ),
    "rnn-mul-last-dense": ModelSpec(
        cell=Cell.RNN, units=(7,), return_sequences=False, merge_mode=MergeMode.MUL,
        input=TokenInput(5, 13, 4), head=DenseHead(2, "sigmoid"),
    ),
    "lstm-ave-state-dense": ModelSpec(
        units=(5, 4), merge_mode=MergeMode.AVE, return_state=True, input=FeatureInput(3, 2),
        head=DenseHead(3, "relu"),
    ),
    "gru-none-last-state": ModelSpec(
        cell=Cell.GRU, units=(4,), return_sequences=False, merge_mode=MergeMode.NONE,
        return_state=True, input=FeatureInput(6, 2),
    ),
    "lstm-none-seq-tokens": ModelSpec(
        units=(3,), merge_mode=MergeMode.NONE, input=TokenInput(4, 9, 2), batch_size=2
    ),
    "rnn-tanh-head-seq": ModelSpec(
        cell=Cell.RNN, units=(3, 3, 2), input=FeatureInput(1, 1), head=DenseHead(4, "tanh")
    ),
    "lstm-nobias-anylength-tokens-last": ModelSpec(
        units=(4, 3), return_sequences=False, use_bias=False, input=TokenInput(None, 9, 2),
    ),
    "gru-reset-before-anylength-state": ModelSpec(
        cell=Cell.GRU, units=(3,), reset_after=False, return_state=True, merge_mode=MergeMode.AVE,
        input=FeatureInput(None, 2),
    ),
    "gru-nobias-reset-before-none": ModelSpec(
        cell=Cell.GRU, units=(3,), use_bias=False, reset_after=False, merge_mode=MergeMode.NONE,
        input=FeatureInput(4, 2),
    ),
    "rnn-nobias-anylength-head": ModelSpec(
        cell=Cell.RNN, units=(3,), use_bias=False, input=FeatureInput(None, 2),
        head=DenseHead(2, "linear"), batch_size=3,
    ),
}  # fmt: skip
SPECS = [pytest.param(p.spec, id=p.key) for p in PRESETS] + [
    pytest.param(spec, id=key) for key, spec in EXTRA_SPECS.items()
]
VARIANTS = [pytest.param(False, id="uni"), pytest.param(True, id="bi")]


def _run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "generated"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "<generated>", "exec"), namespace)  # the code under test
    return namespace


def _model_outputs(variant: VariantAnalysis) -> list[Shape]:
    """The model's output shapes, from the analysis: the last layer's, then skipped states."""
    last = variant.layers[-1]
    shapes = list(last.output_shapes)
    spec = variant.spec
    if spec.return_state and spec.head is not None:
        recurrent = variant.recurrent_rows[-1]
        shapes += list(recurrent.output_shapes[1:])
    return shapes


def _filled(shape: Shape, batch: int, steps: int) -> tuple[int, ...]:
    """A shape with its unknown batch (axis 0) and unknown T (axis 1) filled in."""
    known = (batch, steps)
    return tuple(known[axis] if d is None else d for axis, d in enumerate(shape))


@pytest.mark.parametrize("bidirectional", VARIANTS)
@pytest.mark.parametrize("spec", SPECS)
def test_keras_code_builds_what_the_analysis_says(spec: ModelSpec, bidirectional: bool) -> None:
    variant = analyze(spec, bidirectional)
    model = _run(keras_code(spec, bidirectional))["model"]
    assert model.count_params() == variant.total_params
    facts = keras_layer_facts(model)
    assert [f.name for f in facts] == [row.name for row in variant.layers]
    assert [f.type for f in facts] == [row.type for row in variant.layers]
    assert [f.output_shapes for f in facts] == [list(row.output_shapes) for row in variant.layers]
    assert [f.params for f in facts] == [row.params for row in variant.layers]
    outputs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    assert [tuple(t.shape) for t in outputs] == _model_outputs(variant)


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
@pytest.mark.parametrize("bidirectional", VARIANTS)
@pytest.mark.parametrize("spec", SPECS)
def test_torch_code_matches_the_equivalent_model(spec: ModelSpec, bidirectional: bool) -> None:
    import torch

    from bilstm_lab.torch_equivalent import build_torch_model

    if not has_torch_equivalent(spec):
        # A GRU with reset_after=False: no PyTorch code, and no PyTorch model, rather than a
        # wrong one.
        for refuse in (torch_code, build_torch_model):
            with pytest.raises(SpecError) as error:
                refuse(spec, bidirectional)
            assert error.value.field == "reset_after"
        return
    variant = analyze(spec, bidirectional)
    namespace = _run(torch_code(spec, bidirectional))
    model = namespace["model"]
    assert sum(p.numel() for p in model.parameters()) == variant.torch_params
    # The example batch ran through the model: its shape is the analysis's with the batch (and
    # a variable T) filled in from the example.
    batch, steps = namespace["example"].shape[:2]
    outputs = namespace["output"]
    outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
    expected = _model_outputs(variant)[: len(outputs)]
    assert [tuple(t.shape) for t in outputs] == [_filled(shape, batch, steps) for shape in expected]
    # Same weights, same numbers: the generated module *is* the lab's equivalent model.
    reference = build_torch_model(spec, bidirectional)
    model.load_state_dict(reference.state_dict())
    with torch.no_grad():
        mine, theirs = model(namespace["example"]), reference(namespace["example"])
    mine = list(mine) if isinstance(mine, tuple) else [mine]
    theirs = list(theirs) if isinstance(theirs, tuple) else [theirs]
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert torch.allclose(a, b)


def test_diff_changes_only_the_recurrent_lines() -> None:
    spec = ModelSpec(
        units=(64, 32), return_sequences=False, input=TokenInput(20, 10_000, 128),
        head=DenseHead(10, "softmax"),
    )  # fmt: skip
    diff = keras_diff(spec)
    removed = [line for line in diff.splitlines() if line.startswith("-") and line[:3] != "---"]
    added = [line for line in diff.splitlines() if line.startswith("+") and line[:3] != "+++"]
    assert any("layers.LSTM(64" in line for line in removed)
    assert sum("layers.Bidirectional(" in line for line in added) == 2
    # Unchanged lines (the Embedding; the Dense head's code) are context, not changes.
    assert not any("Embedding" in line for line in removed + added)
    assert not any("layers.Dense" in line for line in removed + added)
    # The shape comments change where the analysis says they do.
    assert any(line.endswith("# (None, 64)") for line in added)
    assert any(line.endswith("# (None, 32)") for line in removed)


def test_codegen_names_come_from_the_analysis() -> None:
    spec = ModelSpec(cell=Cell.GRU, units=(4, 4), input=FeatureInput(3, 2))
    code = keras_code(spec, True)
    for row in analyze(spec, True).layers:
        assert f'name="{row.name}"' in code


def test_generated_code_writes_the_cell_options() -> None:
    spec = ModelSpec(
        cell=Cell.GRU, units=(3,), use_bias=False, reset_after=False, input=FeatureInput(None, 4)
    )
    code = keras_code(spec, False)
    assert "keras.Input(shape=(None, 4)" in code
    assert (
        'layers.GRU(3, return_sequences=True, use_bias=False, reset_after=False, name="gru_1")'
        in code
    )
    lstm = ModelSpec(units=(3,), use_bias=False, input=TokenInput(None, 9, 4))
    assert "nn.LSTM(4, 3, bias=False, batch_first=True" in torch_code(lstm, True)
    assert 'keras.Input(shape=(None,), dtype="int32"' in keras_code(lstm, True)
    # Keras's defaults are not written out.
    plain = keras_code(ModelSpec(cell=Cell.GRU, units=(3,)), False)
    assert "use_bias" not in plain and "reset_after" not in plain
