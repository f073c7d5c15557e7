"""The PyTorch model equivalent to a spec (optional: needs ``torch``).

One ``nn.LSTM|GRU|RNN(bias=..., batch_first=True, bidirectional=...)`` per recurrent layer, so
that a merge mode other than concat can combine the two halves between layers with no extra
parameters, exactly as Keras's `Bidirectional` does. Keras's ``use_bias`` is PyTorch's
``bias``; a GRU with ``reset_after=False`` has no PyTorch equivalent and is refused.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from bilstm_lab.core.analysis import check_torch_equivalent
from bilstm_lab.core.spec import MergeMode, ModelSpec, TokenInput

_ACTIVATIONS: dict[str, Any] = {
    "linear": lambda x: x,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "tanh": torch.tanh,
}


def merge_directions(output: torch.Tensor, units: int, merge: MergeMode) -> torch.Tensor:
    """Combine the forward and backward halves PyTorch concatenates on the last axis."""
    if merge is MergeMode.CONCAT:
        return output  # (batch, T, 2*units)
    forward, backward = output[..., :units], output[..., units:]  # each (batch, T, units)
    if merge is MergeMode.SUM:
        return forward + backward
    if merge is MergeMode.MUL:
        return forward * backward
    if merge is MergeMode.AVE:
        return (forward + backward) / 2
    raise ValueError(f"merge_mode none has no single merged tensor, received {merge.value}")


class EquivalentModel(nn.Module):
    """The spec's model in PyTorch, batch first: input ``(batch, T, d)`` or ``(batch, T)`` ids."""

    def __init__(self, spec: ModelSpec, bidirectional: bool) -> None:
        check_torch_equivalent(spec)
        super().__init__()
        self.spec, self.bidirectional = spec, bidirectional
        rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[spec.cell.value]
        self.embedding = (
            nn.Embedding(spec.input.vocab, spec.input.embedding_dim)
            if isinstance(spec.input, TokenInput)
            else None
        )
        width = spec.input.width
        layers = []
        for units in spec.units:
            layers.append(
                rnn_class(
                    width, units, bias=spec.use_bias, batch_first=True, bidirectional=bidirectional
                )
            )
            width = units * (spec.merge_mode.width_factor if bidirectional else 1)
        self.recurrent = nn.ModuleList(layers)
        self.head = nn.Linear(width, spec.head.units) if spec.head is not None else None

    def forward(self, x: torch.Tensor) -> Any:
        """Run the model; returns what the Keras model's main output holds."""
        if self.embedding is not None:
            x = self.embedding(x)  # (batch, T, embedding_dim)
        merge = self.spec.merge_mode if self.bidirectional else MergeMode.CONCAT
        last = len(self.recurrent) - 1
        for index, (layer, units) in enumerate(zip(self.recurrent, self.spec.units, strict=True)):
            x, _ = layer(x)  # (batch, T, directions*units)
            if index == last and not self.spec.return_sequences:
                x = final_summary(x, units, self.bidirectional)  # (batch, directions*units)
            if merge is MergeMode.NONE:
                return x[..., :units], x[..., units:]  # forward, backward: never merged
            x = merge_directions(x, units, merge)
        if self.head is not None and self.spec.head is not None:
            x = _ACTIVATIONS[self.spec.head.activation](self.head(x))
        return x


def final_summary(x: torch.Tensor, units: int, bidirectional: bool) -> torch.Tensor:
    """What Keras's ``return_sequences=False`` returns, from PyTorch's full output sequence.

    The forward half after the last step, and the backward half after reading back to the
    *first* step — not ``x[:, -1, :]``, whose backward half has seen only the last token.
    """
    if not bidirectional:
        return x[:, -1, :]  # (batch, units)
    return torch.cat([x[:, -1, :units], x[:, 0, units:]], dim=-1)  # (batch, 2*units)


def build_torch_model(spec: ModelSpec, bidirectional: bool) -> EquivalentModel:
    """The PyTorch equivalent of one variant of ``spec``.

    Raises:
        SpecError: PyTorch has no equivalent (a GRU with ``reset_after=False``).
    """
    return EquivalentModel(spec, bidirectional)


def count_torch_params(module: nn.Module) -> int:
    """Sum of ``numel()`` over a module's parameters."""
    return sum(parameter.numel() for parameter in module.parameters())
