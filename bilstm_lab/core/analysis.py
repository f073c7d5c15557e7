"""Exact output shapes and parameter counts for a spec, in pure Python.

For every valid `ModelSpec` this module says what real Keras will say: each layer's output
shape(s) and ``count_params()``, for the unidirectional and the bidirectional variant, plus the
parameter count of the equivalent PyTorch model. Tests hold it to real Keras and real torch.
No TensorFlow import here: the Explorer paints from this before TensorFlow is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.spec import Cell, MergeMode, ModelSpec, TokenInput

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class LayerRow:
    """One layer of a variant, as Keras reports it (no row for the InputLayer).

    Attributes:
        name: the layer's name in the built Keras model.
        type: the Keras class name; ``Bidirectional(LSTM)`` for a wrapped layer.
        output_shapes: one shape, or several for a layer with several outputs.
        params: what Keras's ``count_params()`` returns for the layer.
        formula: how ``params`` comes about, with the numbers substituted.
        torch_params: the parameter count of the equivalent PyTorch module.
        torch_formula: how ``torch_params`` comes about.
        input_width: the last-axis width the layer receives.
    """

    name: str
    type: str
    output_shapes: tuple[Shape, ...]
    params: int
    formula: str
    torch_params: int
    torch_formula: str
    input_width: int

    @property
    def output_shape(self) -> Shape | list[Shape]:
        """The shape, or the list of shapes for a layer with several outputs."""
        if len(self.output_shapes) == 1:
            return self.output_shapes[0]
        return list(self.output_shapes)

    @property
    def is_recurrent(self) -> bool:
        """Whether this row is a recurrent layer (wrapped or not)."""
        return self.type.startswith("Bidirectional") or self.type in ("LSTM", "GRU", "SimpleRNN")

    def to_dict(self) -> dict[str, Any]:
        """The row as the CLI's JSON shows it."""
        shape = self.output_shape
        return {
            "name": self.name,
            "type": self.type,
            "output_shape": [list(s) for s in shape] if isinstance(shape, list) else list(shape),
            "params": self.params,
            "formula": self.formula,
        }


@dataclass(frozen=True)
class VariantAnalysis:
    """The unidirectional or the bidirectional variant of a spec, layer by layer."""

    spec: ModelSpec
    bidirectional: bool
    input_shape: Shape
    layers: tuple[LayerRow, ...]

    @property
    def total_params(self) -> int:
        """What Keras's ``model.count_params()`` returns."""
        return sum(row.params for row in self.layers)

    @property
    def torch_params(self) -> int:
        """Parameters of the equivalent PyTorch model."""
        return sum(row.torch_params for row in self.layers)

    @property
    def recurrent_params(self) -> int:
        """Parameters in the recurrent layers only."""
        return sum(row.params for row in self.layers if row.is_recurrent)

    @property
    def recurrent_rows(self) -> tuple[LayerRow, ...]:
        """The recurrent layers, bottom first."""
        return tuple(row for row in self.layers if row.is_recurrent)

    @property
    def label(self) -> str:
        """``LSTM`` or ``BiLSTM`` (``GRU``/``BiGRU``, ``SimpleRNN``/``BiSimpleRNN``)."""
        return ("Bi" if self.bidirectional else "") + self.spec.cell.keras_name

    def to_dict(self) -> dict[str, Any]:
        """The variant as the CLI's JSON shows it."""
        return {
            "layers": [row.to_dict() for row in self.layers],
            "total_params": self.total_params,
            "torch_params": self.torch_params,
        }


def recurrent_params(cell: Cell, units: int, input_width: int) -> int:
    """Keras parameters of one direction of a recurrent layer.

    LSTM and SimpleRNN keep one bias vector; Keras's GRU defaults to ``reset_after=True``,
    which keeps two (input and recurrent), so its bias has ``2·3·u`` entries.
    """
    return cell.gates * units * (input_width + units + _keras_bias_vectors(cell))


def torch_recurrent_params(cell: Cell, units: int, input_width: int) -> int:
    """PyTorch parameters of one direction: PyTorch always keeps ``b_ih`` and ``b_hh``."""
    return cell.gates * units * (input_width + units + 2)


def _keras_bias_vectors(cell: Cell) -> int:
    return 2 if cell is Cell.GRU else 1


def describe(spec: ModelSpec) -> str:
    """One line describing a spec in the terms of its fields."""
    units = ", ".join(str(u) for u in spec.units)
    head = f", Dense({spec.head.units}, {spec.head.activation})" if spec.head else ""
    if isinstance(spec.input, TokenInput):
        vocab = fmt(spec.input.vocab)
        input_text = f"{spec.input.seq_len} token ids (vocab {vocab}, embedding {spec.input.width})"
    else:
        input_text = f"{spec.input.seq_len} steps × {spec.input.width} features"
    return (
        f"{spec.cell.keras_name}({units}){head} on {input_text}, batch {spec.batch_size}; "
        f"return_sequences={spec.return_sequences}, return_state={spec.return_state}, "
        f"merge_mode={spec.merge_mode.value}"
    )


def _recurrent_formula(cell: Cell, units: int, width: int, biases: int, directions: int) -> str:
    gates = f"{cell.gates}·" if cell.gates > 1 else ""
    per_direction = cell.gates * units * (width + units + biases)
    prefix = "2 × " if directions == 2 else ""
    return f"{prefix}{gates}{units}·({width}+{units}+{biases}) = {fmt(directions * per_direction)}"


def _sequence_shape(batch: int | None, seq_len: int, width: int, sequences: bool) -> Shape:
    return (batch, seq_len, width) if sequences else (batch, width)


def analyze(spec: ModelSpec, bidirectional: bool) -> VariantAnalysis:
    """Per-layer rows for one variant of ``spec``.

    Args:
        spec: the model.
        bidirectional: ``True`` for the BiLSTM variant (every recurrent layer wrapped in
            `Bidirectional` with ``spec.merge_mode``), ``False`` for the plain one.

    Returns:
        The variant's rows, in model order, without the InputLayer.
    """
    batch, seq_len = spec.batch_size, spec.input.seq_len
    rows: list[LayerRow] = []
    if isinstance(spec.input, TokenInput):
        vocab, dim = spec.input.vocab, spec.input.embedding_dim
        embedding_formula = f"{fmt(vocab)}·{dim} = {fmt(vocab * dim)}"
        rows.append(
            LayerRow(
                name="embedding",
                type="Embedding",
                output_shapes=((batch, seq_len, dim),),
                params=vocab * dim,
                formula=embedding_formula,
                torch_params=vocab * dim,
                torch_formula=embedding_formula,
                input_width=1,
            )
        )
        input_shape: Shape = (batch, seq_len)
    else:
        input_shape = (batch, seq_len, spec.input.features)

    width = spec.input.width
    directions = 2 if bidirectional else 1
    merge = spec.merge_mode if bidirectional else MergeMode.CONCAT
    for index, units in enumerate(spec.units):
        sequences = spec.layer_returns_sequences(index)
        is_last = index == spec.depth - 1
        out_width = units * (merge.width_factor if bidirectional else 1)
        if bidirectional and merge is MergeMode.NONE:
            # Two separate tensors: forward and backward, each `units` wide.
            outputs = [_sequence_shape(batch, seq_len, units, sequences)] * 2
        else:
            outputs = [_sequence_shape(batch, seq_len, out_width, sequences)]
        if spec.return_state and is_last:
            outputs += [(batch, units)] * (len(spec.cell.state_names) * directions)
        keras_name = spec.cell.keras_name
        rows.append(
            LayerRow(
                name=layer_name(spec, index, bidirectional),
                type=f"Bidirectional({keras_name})" if bidirectional else keras_name,
                output_shapes=tuple(outputs),
                params=directions * recurrent_params(spec.cell, units, width),
                formula=_recurrent_formula(
                    spec.cell, units, width, _keras_bias_vectors(spec.cell), directions
                ),
                torch_params=directions * torch_recurrent_params(spec.cell, units, width),
                torch_formula=_recurrent_formula(spec.cell, units, width, 2, directions),
                input_width=width,
            )
        )
        width = out_width

    if spec.head is not None:
        dense_units = spec.head.units
        dense_formula = f"({width}+1)·{dense_units} = {fmt((width + 1) * dense_units)}"
        rows.append(
            LayerRow(
                name="dense",
                type="Dense",
                output_shapes=(
                    _sequence_shape(batch, seq_len, dense_units, spec.return_sequences),
                ),
                params=(width + 1) * dense_units,
                formula=dense_formula,
                torch_params=(width + 1) * dense_units,
                torch_formula=dense_formula,
                input_width=width,
            )
        )
    return VariantAnalysis(spec, bidirectional, input_shape, tuple(rows))


def layer_name(spec: ModelSpec, index: int, bidirectional: bool) -> str:
    """The Keras name of recurrent layer ``index``: ``lstm_1`` or its wrapper ``bilstm_1``."""
    base = f"{spec.cell.value}_{index + 1}"
    return f"bi{base}" if bidirectional else base


def input_name(spec: ModelSpec) -> str:
    """The Keras name of the model's Input: ``tokens`` or ``features``."""
    return spec.input.kind


@dataclass(frozen=True)
class LayerRatio:
    """How one layer's parameters grow from the plain to the bidirectional variant."""

    name: str
    uni_params: int
    bi_params: int
    reason: str

    @property
    def ratio(self) -> float:
        """``bi_params / uni_params``."""
        return self.bi_params / self.uni_params


@dataclass(frozen=True)
class Comparison:
    """Both variants of a spec, and the ratios between them."""

    spec: ModelSpec
    uni: VariantAnalysis
    bi: VariantAnalysis

    @property
    def total_ratio(self) -> float:
        """BiLSTM total over LSTM total."""
        return self.bi.total_params / self.uni.total_params

    @property
    def recurrent_ratio(self) -> float:
        """BiLSTM recurrent parameters over LSTM recurrent parameters."""
        return self.bi.recurrent_params / self.uni.recurrent_params

    def layer_ratios(self) -> list[LayerRatio]:
        """Per-layer ratios with the reason each one is what it is (layers that differ only)."""
        ratios = []
        for uni_row, bi_row in zip(self.uni.layers, self.bi.layers, strict=True):
            if uni_row.params == bi_row.params or uni_row.params == 0:
                continue
            ratios.append(
                LayerRatio(bi_row.name, uni_row.params, bi_row.params, _reason(uni_row, bi_row))
            )
        return ratios

    def torch_difference(self) -> str:
        """Why the PyTorch count differs from Keras's (or why it does not)."""
        return torch_difference_reason(self.spec.cell)


def _reason(uni_row: LayerRow, bi_row: LayerRow) -> str:
    widened = bi_row.input_width != uni_row.input_width
    if bi_row.is_recurrent:
        copies = "two independent copies (forward and backward)"
        if not widened:
            return f"{copies} of the same layer: exactly 2×"
        return (
            f"{copies}, and each one's input widened from {uni_row.input_width} to "
            f"{bi_row.input_width} because the layer below concatenates its two directions"
        )
    return (
        f"its input widened from {uni_row.input_width} to {bi_row.input_width} "
        "(the concatenated forward and backward outputs)"
    )


def torch_difference_reason(cell: Cell) -> str:
    """One sentence on how PyTorch's count of a ``cell`` layer relates to Keras's."""
    if cell is Cell.GRU:
        return (
            "Keras's GRU defaults to reset_after=True, which keeps two bias vectors (input and "
            "recurrent) just as PyTorch's b_ih and b_hh, so the counts agree."
        )
    extra = "4·u" if cell is Cell.LSTM else "u"
    return (
        f"PyTorch keeps two bias vectors (b_ih and b_hh) where Keras keeps one, so each "
        f"direction of each {cell.torch_name} layer has {extra} more parameters in PyTorch."
    )


def compare(spec: ModelSpec) -> Comparison:
    """Analyse both variants of ``spec``.

    Args:
        spec: the model.

    Returns:
        The unidirectional and bidirectional analyses side by side.
    """
    return Comparison(spec, analyze(spec, bidirectional=False), analyze(spec, bidirectional=True))
