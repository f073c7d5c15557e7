"""Exact output shapes and parameter counts for a spec, in pure Python.

For every valid `ModelSpec` this module says what real Keras will say: each layer's output
shape(s) and ``count_params()``, for the unidirectional and the bidirectional variant, plus the
parameter count of the equivalent PyTorch model (``None`` where PyTorch has no equivalent).
Tests hold it to real Keras and real torch. No TensorFlow import here: the Explorer paints
from this before TensorFlow is loaded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bilstm_lab.core.errors import SpecError
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
        torch_params: the parameter count of the equivalent PyTorch module; ``None`` when
            PyTorch has no equivalent layer (a GRU with ``reset_after=False``).
        torch_formula: how ``torch_params`` comes about (``None`` with it).
        input_width: the last-axis width the layer receives.
    """

    name: str
    type: str
    output_shapes: tuple[Shape, ...]
    params: int
    formula: str
    torch_params: int | None
    torch_formula: str | None
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
    def torch_params(self) -> int | None:
        """Parameters of the equivalent PyTorch model; ``None`` when there is none."""
        counts = [row.torch_params for row in self.layers]
        return None if None in counts else sum(count or 0 for count in counts)

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
        return self.spec.cell.variant_name(self.bidirectional)

    def to_dict(self) -> dict[str, Any]:
        """The variant as the CLI's JSON shows it."""
        return {
            "layers": [row.to_dict() for row in self.layers],
            "total_params": self.total_params,
            "torch_params": self.torch_params,
        }


#: Bias vectors per direction in PyTorch's recurrent layers (``b_ih`` and ``b_hh``).
_TORCH_BIAS_VECTORS = 2


def keras_bias_vectors(cell: Cell, *, use_bias: bool = True, reset_after: bool = True) -> int:
    """Bias vectors per gate block in one direction of a Keras recurrent layer.

    None with ``use_bias=False``; two for a GRU with ``reset_after=True`` (Keras's default:
    an input and a recurrent bias); one otherwise.
    """
    if not use_bias:
        return 0
    return 2 if cell.has_reset_after and reset_after else 1


def spec_bias_vectors(spec: ModelSpec) -> int:
    """`keras_bias_vectors` of the spec's cells (every recurrent layer has the same)."""
    return keras_bias_vectors(spec.cell, use_bias=spec.use_bias, reset_after=spec.reset_after)


def torch_bias_vectors(*, use_bias: bool = True) -> int:
    """Bias vectors per gate block in PyTorch: ``b_ih`` and ``b_hh``, or none with ``bias=False``."""
    return _TORCH_BIAS_VECTORS if use_bias else 0


def recurrent_params(
    cell: Cell, units: int, input_width: int, *, use_bias: bool = True, reset_after: bool = True
) -> int:
    """Keras parameters of one direction of a recurrent layer.

    LSTM and SimpleRNN keep one bias vector; Keras's GRU defaults to ``reset_after=True``,
    which keeps two (input and recurrent), so its bias has ``2·3·u`` entries; with
    ``reset_after=False`` it keeps one, and with ``use_bias=False`` no cell keeps any.
    """
    biases = keras_bias_vectors(cell, use_bias=use_bias, reset_after=reset_after)
    return _direction_params(cell, units, input_width, biases)


def torch_recurrent_params(
    cell: Cell, units: int, input_width: int, *, use_bias: bool = True
) -> int:
    """PyTorch parameters of one direction: PyTorch keeps ``b_ih`` and ``b_hh``, or neither."""
    return _direction_params(cell, units, input_width, torch_bias_vectors(use_bias=use_bias))


def has_torch_equivalent(spec: ModelSpec) -> bool:
    """Whether PyTorch has a layer that computes what the spec's cell computes.

    PyTorch's GRU applies the reset gate after its recurrent kernel, as Keras's
    ``reset_after=True`` does; Keras's ``reset_after=False`` has no PyTorch counterpart.
    """
    return not (spec.cell.has_reset_after and not spec.reset_after)


def check_torch_equivalent(spec: ModelSpec) -> None:
    """Refuse a spec that PyTorch cannot express (see `has_torch_equivalent`).

    Raises:
        SpecError: naming ``reset_after``, for a GRU with ``reset_after=False``.
    """
    if not has_torch_equivalent(spec):
        raise SpecError(
            "reset_after",
            "PyTorch has no layer equivalent to Keras's GRU with reset_after=False (its GRU "
            "always applies the reset gate after the recurrent kernel), received reset_after "
            "false",
        )


def _direction_params(cell: Cell, units: int, width: int, biases: int) -> int:
    # Every gate block holds a kernel (width × u), a recurrent kernel (u × u) and its biases.
    return cell.gates * units * (width + units + biases)


def recurrent_formula(cell: Cell, units: int, width: int, biases: int, directions: int = 1) -> str:
    """``4·64·(128+64+1) = 49,408``: a recurrent layer's count with the numbers substituted.

    Args:
        cell: the cell.
        units: units per direction.
        width: the input width each direction reads.
        biases: bias vectors per gate block (no ``+0`` term is written for none).
        directions: 2 for a bidirectional layer (written as ``2 × ...``).
    """
    gates = f"{cell.gates}·" if cell.gates > 1 else ""
    bias_term = f"+{biases}" if biases else ""
    total = directions * _direction_params(cell, units, width, biases)
    prefix = "2 × " if directions == 2 else ""
    return f"{prefix}{gates}{units}·({width}+{units}{bias_term}) = {fmt(total)}"


def _sequence_shape(batch: int | None, seq_len: int | None, width: int, sequences: bool) -> Shape:
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
    biases = spec_bias_vectors(spec)
    torch_params, torch_formula = _torch_recurrent_count(spec, units, width, directions)
    return LayerRow(
        name=layer_name(spec, index, bidirectional),
        type=f"Bidirectional({cell.keras_name})" if bidirectional else cell.keras_name,
        output_shapes=_recurrent_output_shapes(spec, index, bidirectional),
        params=directions * _direction_params(cell, units, width, biases),
        formula=recurrent_formula(cell, units, width, biases, directions),
        torch_params=torch_params,
        torch_formula=torch_formula,
        input_width=width,
    )


def _torch_recurrent_count(
    spec: ModelSpec, units: int, width: int, directions: int
) -> tuple[int | None, str | None]:
    """The PyTorch layer's count and formula, or ``(None, None)`` when there is no such layer."""
    if not has_torch_equivalent(spec):
        return None, None
    biases = torch_bias_vectors(use_bias=spec.use_bias)
    params = directions * _direction_params(spec.cell, units, width, biases)
    return params, recurrent_formula(spec.cell, units, width, biases, directions)


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


def same_growth_runs(ratios: list[LayerRatio]) -> list[list[LayerRatio]]:
    """``ratios`` cut into runs of consecutive layers that grow identically (all but the name).

    A deep stack's layers 2…6 usually grow by the same factor for the same reason; the page
    says it once for the run instead of five times.
    """
    runs: list[list[LayerRatio]] = []
    for ratio in ratios:
        if runs and dataclasses.replace(runs[-1][-1], name=ratio.name) == ratio:
            runs[-1].append(ratio)
        else:
            runs.append([ratio])
    return runs


def compare(spec: ModelSpec) -> Comparison:
    """Analyse both variants of ``spec``.

    Args:
        spec: the model.

    Returns:
        The unidirectional and bidirectional analyses side by side.
    """
    return Comparison(spec, analyze(spec, bidirectional=False), analyze(spec, bidirectional=True))
