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
    return _direction_params(cell, units, input_width, _keras_bias_vectors(cell))


def torch_recurrent_params(cell: Cell, units: int, input_width: int) -> int:
    """PyTorch parameters of one direction: PyTorch always keeps ``b_ih`` and ``b_hh``."""
    return _direction_params(cell, units, input_width, _TORCH_BIAS_VECTORS)


#: Bias vectors per direction in PyTorch's recurrent layers (``b_ih`` and ``b_hh``).
_TORCH_BIAS_VECTORS = 2


def _keras_bias_vectors(cell: Cell) -> int:
    return 2 if cell is Cell.GRU else 1


def _direction_params(cell: Cell, units: int, width: int, biases: int) -> int:
    # Every gate block holds a kernel (width × u), a recurrent kernel (u × u) and its biases.
    return cell.gates * units * (width + units + biases)


def _recurrent_formula(cell: Cell, units: int, width: int, biases: int, directions: int) -> str:
    gates = f"{cell.gates}·" if cell.gates > 1 else ""
    per_direction = _direction_params(cell, units, width, biases)
    prefix = "2 × " if directions == 2 else ""
    return f"{prefix}{gates}{units}·({width}+{units}+{biases}) = {fmt(directions * per_direction)}"


def _sequence_shape(batch: int | None, seq_len: int, width: int, sequences: bool) -> Shape:
    return (batch, seq_len, width) if sequences else (batch, width)


def direction_count(bidirectional: bool) -> int:
    """How many directions each recurrent layer of the variant runs."""
    return 2 if bidirectional else 1


def layer_returns_state(spec: ModelSpec, index: int) -> bool:
    """Whether recurrent layer ``index`` (0-based) also returns its final states."""
    # The spec's return_state, like its return_sequences, is about the last layer only.
    return spec.return_state and index == spec.depth - 1


def splits_directions(spec: ModelSpec, bidirectional: bool) -> bool:
    """Whether the variant's recurrent layers return forward and backward as two tensors."""
    # merge_mode none only matters once there are two directions to (not) merge.
    return bidirectional and spec.merge_mode is MergeMode.NONE


def _merged_width(spec: ModelSpec, units: int, bidirectional: bool) -> int:
    """The last-axis width of a recurrent layer's merged output: what the layer above reads."""
    return units * (spec.merge_mode.width_factor if bidirectional else 1)


def _layer_input_widths(spec: ModelSpec, bidirectional: bool) -> list[int]:
    """The width each recurrent layer reads, bottom first, then the width the head reads."""
    return [spec.input.width, *(_merged_width(spec, u, bidirectional) for u in spec.units)]


def _input_shape(spec: ModelSpec) -> Shape:
    """The shape of the model's Input: token ids, or feature vectors, per step."""
    if isinstance(spec.input, TokenInput):
        return (spec.batch_size, spec.input.seq_len)
    return (spec.batch_size, spec.input.seq_len, spec.input.features)


def _embedding_row(tokens: TokenInput, batch: int | None) -> LayerRow:
    vocab, dim = tokens.vocab, tokens.embedding_dim
    params = vocab * dim
    formula = f"{fmt(vocab)}·{dim} = {fmt(params)}"
    # Keras and PyTorch store an embedding table the same way: one vector per token id.
    return LayerRow(
        name="embedding",
        type="Embedding",
        output_shapes=((batch, tokens.seq_len, dim),),
        params=params,
        formula=formula,
        torch_params=params,
        torch_formula=formula,
        input_width=1,
    )


def _recurrent_output_shapes(spec: ModelSpec, index: int, bidirectional: bool) -> tuple[Shape, ...]:
    batch, seq_len, units = spec.batch_size, spec.input.seq_len, spec.units[index]
    sequences = spec.layer_returns_sequences(index)
    if splits_directions(spec, bidirectional):
        # Two separate tensors: forward and backward, each `units` wide.
        outputs = [_sequence_shape(batch, seq_len, units, sequences)] * 2
    else:
        width = _merged_width(spec, units, bidirectional)
        outputs = [_sequence_shape(batch, seq_len, width, sequences)]
    if layer_returns_state(spec, index):
        states = len(spec.cell.state_names) * direction_count(bidirectional)
        outputs += [(batch, units)] * states
    return tuple(outputs)


def _recurrent_row(spec: ModelSpec, index: int, width: int, bidirectional: bool) -> LayerRow:
    cell, units = spec.cell, spec.units[index]
    directions = direction_count(bidirectional)
    return LayerRow(
        name=layer_name(spec, index, bidirectional),
        type=f"Bidirectional({cell.keras_name})" if bidirectional else cell.keras_name,
        output_shapes=_recurrent_output_shapes(spec, index, bidirectional),
        params=directions * recurrent_params(cell, units, width),
        formula=_recurrent_formula(cell, units, width, _keras_bias_vectors(cell), directions),
        torch_params=directions * torch_recurrent_params(cell, units, width),
        torch_formula=_recurrent_formula(cell, units, width, _TORCH_BIAS_VECTORS, directions),
        input_width=width,
    )


def _dense_row(spec: ModelSpec, units: int, width: int) -> LayerRow:
    params = (width + 1) * units
    formula = f"({width}+1)·{units} = {fmt(params)}"
    # The head runs on every step when the recurrent stack returns a sequence.
    shape = _sequence_shape(spec.batch_size, spec.input.seq_len, units, spec.return_sequences)
    return LayerRow(
        name="dense",
        type="Dense",
        output_shapes=(shape,),
        params=params,
        formula=formula,
        torch_params=params,
        torch_formula=formula,
        input_width=width,
    )


def analyze(spec: ModelSpec, bidirectional: bool) -> VariantAnalysis:
    """Per-layer rows for one variant of ``spec``.

    Args:
        spec: the model.
        bidirectional: ``True`` for the BiLSTM variant (every recurrent layer wrapped in
            `Bidirectional` with ``spec.merge_mode``), ``False`` for the plain one.

    Returns:
        The variant's rows, in model order, without the InputLayer.
    """
    rows: list[LayerRow] = []
    if isinstance(spec.input, TokenInput):
        rows.append(_embedding_row(spec.input, spec.batch_size))
    widths = _layer_input_widths(spec, bidirectional)
    rows += [_recurrent_row(spec, i, widths[i], bidirectional) for i in range(spec.depth)]
    if spec.head is not None:
        rows.append(_dense_row(spec, spec.head.units, widths[-1]))
    return VariantAnalysis(spec, bidirectional, _input_shape(spec), tuple(rows))


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
    recurrent: bool  # a wrapped recurrent layer (two copies), not a layer above one
    uni_input_width: int
    bi_input_width: int

    @property
    def widened(self) -> bool:
        """Whether the bidirectional variant's layer reads a wider input."""
        return self.bi_input_width != self.uni_input_width

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
        """Per-layer ratios, with what explains them (layers that differ only)."""
        ratios = []
        for uni_row, bi_row in zip(self.uni.layers, self.bi.layers, strict=True):
            if uni_row.params == bi_row.params or uni_row.params == 0:
                continue
            ratios.append(
                LayerRatio(
                    bi_row.name,
                    uni_row.params,
                    bi_row.params,
                    bi_row.is_recurrent,
                    uni_row.input_width,
                    bi_row.input_width,
                )
            )
        return ratios


def compare(spec: ModelSpec) -> Comparison:
    """Analyse both variants of ``spec``.

    Args:
        spec: the model.

    Returns:
        The unidirectional and bidirectional analyses side by side.
    """
    return Comparison(spec, analyze(spec, bidirectional=False), analyze(spec, bidirectional=True))
