"""What real Keras and real torch say about a model, read independently of the lab's analysis.

The tests compare these facts with `bilstm_lab.core.analysis`; nothing here reuses the analysis
code, so a wrong formula there cannot hide behind the same formula here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bilstm_lab.core.spec import ModelSpec


@dataclass(frozen=True)
class LayerFacts:
    """One layer of a built Keras model."""

    name: str
    type: str
    output_shapes: list[tuple[int | None, ...]]
    params: int


def keras_layer_facts(model: Any) -> list[LayerFacts]:
    """Name, type, output shape(s) and ``count_params()`` of every non-Input layer."""
    facts = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if kind == "Bidirectional":
            kind = f"Bidirectional({type(layer.forward_layer).__name__})"
        output = layer.output
        tensors = output if isinstance(output, (list, tuple)) else [output]
        facts.append(
            LayerFacts(layer.name, kind, [tuple(t.shape) for t in tensors], layer.count_params())
        )
    return facts


def torch_reference_params(spec: ModelSpec, bidirectional: bool) -> int:
    """Parameters of the PyTorch equivalent, built here from plain torch modules.

    ``nn.Embedding`` / one ``nn.LSTM|GRU|RNN(bias=use_bias, batch_first=True,
    bidirectional=...)`` per layer (a non-concat merge halves the next layer's input, with no
    parameters) / ``nn.Linear``. (A GRU with ``reset_after=False`` has no PyTorch
    equivalent; callers do not ask for one.)
    """
    from torch import nn

    modules: list[nn.Module] = []
    if spec.input.kind == "tokens":
        modules.append(nn.Embedding(spec.input.vocab, spec.input.embedding_dim))  # type: ignore[union-attr]
        width = spec.input.embedding_dim  # type: ignore[union-attr]
    else:
        width = spec.input.features  # type: ignore[union-attr]
    rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[spec.cell.value]
    for units in spec.units:
        modules.append(
            rnn_class(
                width, units, bias=spec.use_bias, batch_first=True, bidirectional=bidirectional
            )
        )
        concat = bidirectional and spec.merge_mode.value == "concat"
        width = 2 * units if concat else units
    if spec.head is not None:
        modules.append(nn.Linear(width, spec.head.units))
    return sum(p.numel() for module in modules for p in module.parameters())
