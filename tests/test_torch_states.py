"""PyTorch's ``output`` vs ``h_n``: the shapes and indices the Explorer states, held to real torch."""

from __future__ import annotations

from typing import Any

import pytest

from bilstm_lab.core import explain
from bilstm_lab.core.errors import SpecError
from bilstm_lab.core.passes import Direction
from bilstm_lab.core.spec import Cell, FeatureInput, MergeMode, ModelSpec
from bilstm_lab.core.torch_states import TorchStates, torch_states

torch = pytest.importorskip("torch")

BATCH = 3


def _run(spec: ModelSpec) -> tuple[TorchStates, Any, Any]:
    """A small random bidirectional module as `torch_states` describes it, on a random batch."""
    states = torch_states(spec)
    module_class = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}[states.module]
    generator = torch.Generator().manual_seed(0)  # a local generator: no global seed
    module = module_class(
        states.input_size,
        states.hidden,
        num_layers=states.num_layers,
        bidirectional=True,
        batch_first=True,
    )
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) - 0.5)
        x = torch.rand((BATCH, spec.input.seq_len, states.input_size), generator=generator)
        output, hidden = module(x)
    h_n = hidden[0] if isinstance(hidden, tuple) else hidden
    return states, output, h_n


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(units=(5, 5), input=FeatureInput(4, 3)),  # the brief's 2-layer BiLSTM
        ModelSpec(cell=Cell.GRU, units=(4,), input=FeatureInput(6, 2)),
        ModelSpec(units=(6, 4), merge_mode=MergeMode.SUM, input=FeatureInput(5, 3)),  # per layer
    ],
    ids=["lstm-2-layers", "gru-1-layer", "lstm-per-layer"],
)
def test_stated_shapes_and_equalities_hold_in_torch(spec: ModelSpec) -> None:
    states, output, h_n = _run(spec)
    hidden, layers = states.hidden, states.num_layers
    assert tuple(output.shape) == (BATCH, *states.output_shape[1:])
    assert tuple(h_n.shape) == (states.h_n_shape[0], BATCH, states.h_n_shape[2])
    # The forward summary is the last step's forward half; the backward summary is the FIRST
    # step's backward half — and the last step's backward half (one step read) is not it.
    assert states.last_forward == 2 * layers - 2 and states.last_backward == 2 * layers - 1
    assert torch.allclose(output[:, -1, :hidden], h_n[states.last_forward])
    assert torch.allclose(output[:, 0, hidden:], h_n[states.last_backward])
    assert torch.allclose(h_n[-1], h_n[states.last_backward])
    assert not torch.allclose(output[:, -1, hidden:], h_n[states.last_backward])
    assert [(row.index, row.layer, row.direction) for row in states.indices] == [
        (2 * layer + d, layer, direction)
        for layer in range(layers)
        for d, direction in enumerate((Direction.FORWARD, Direction.BACKWARD))
    ]


def test_stack_is_one_module_only_when_pytorch_can_express_it() -> None:
    assert torch_states(ModelSpec(units=(8, 8, 8))).num_layers == 3
    assert torch_states(ModelSpec(units=(8, 8, 8))).h_n_shape == (6, "batch", 8)
    per_layer = torch_states(ModelSpec(units=(8, 4)))
    assert (per_layer.stacked, per_layer.num_layers, per_layer.input_size) == (False, 1, 16)
    assert torch_states(ModelSpec(units=(8, 8), merge_mode=MergeMode.AVE)).stacked is False
    assert torch_states(ModelSpec(batch_size=2, input=FeatureInput(None, 3))).output_shape == (
        2,
        "T",
        128,
    )


def test_sentences_name_the_indices() -> None:
    states = torch_states(ModelSpec(units=(64, 64)))
    trap = explain.torch_trap(states)
    assert "`output[:, -1, 64:]` is the backward chain after ONE step" in trap
    assert "`output[:, 0, 64:]` == `h_n[3]`" in trap and "`h_n[2]`" in trap
    rows = explain.h_n_rows(states)
    assert [row["index"] for row in rows] == [f"h_n[{i}]" for i in range(4)]
    assert rows[3]["equals"] == "output[:, 0, 64:]"


def test_gru_without_reset_after_has_no_pytorch_view() -> None:
    with pytest.raises(SpecError):
        torch_states(ModelSpec(cell=Cell.GRU, reset_after=False))
