"""What a bidirectional PyTorch RNN returns for a spec: ``output`` and ``h_n``, their shapes and indices.

PyTorch returns ``output`` (every step of the last layer, forward half then backward half) and
``h_n`` (every layer's final state per direction, at index ``layer*2 + direction``). Mixing
them up is the classic mistake: ``output[:, -1, H:]`` is the backward chain after ONE step, and
the backward summary is ``output[:, 0, H:]`` == ``h_n[2L-1]``. Numbers only; the words are in
`bilstm_lab.core.explain`. Tests hold the equalities to real ``torch``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bilstm_lab.core.analysis import analyze, check_torch_equivalent
from bilstm_lab.core.passes import Direction
from bilstm_lab.core.spec import MergeMode, ModelSpec

#: A tensor dimension: a number, or the name PyTorch leaves open (``batch``, ``T``).
Dim = int | str

#: PyTorch's direction index in ``h_n``: 0 forward, 1 backward.
DIRECTION_INDEX = {Direction.FORWARD: 0, Direction.BACKWARD: 1}


@dataclass(frozen=True)
class StateIndex:
    """One slice of ``h_n``: ``h_n[index]`` is ``layer``'s final state in ``direction``."""

    index: int
    layer: int  # PyTorch's 0-based layer number
    direction: Direction
    keras_layer: str  # the same layer's name in the lab's Keras model (``bilstm_2``)


@dataclass(frozen=True)
class TorchStates:
    """The shapes and indices of one bidirectional PyTorch recurrent module's results.

    Attributes:
        module: PyTorch's class name (``LSTM``, ``GRU``, ``RNN``).
        input_size: what the module reads per step.
        hidden: H, the units per direction.
        num_layers: L.
        stacked: True when one module with ``num_layers=depth`` is the whole stack; False when
            the spec needs one module per layer (different units per layer, or a merge other
            than concat between layers), and this describes the top layer's own module.
        output_shape: ``(batch, T, 2*H)``.
        h_n_shape: ``(L*2, batch, H)``; ``c_n`` (LSTM only) has the same shape.
        has_cell_state: an LSTM also returns ``c_n``.
        indices: every index of ``h_n``, in order.
    """

    module: str
    input_size: int
    hidden: int
    num_layers: int
    stacked: bool
    output_shape: tuple[Dim, ...]
    h_n_shape: tuple[Dim, ...]
    has_cell_state: bool
    indices: tuple[StateIndex, ...]

    @property
    def last_forward(self) -> int:
        """Index of the top layer's forward final state: 2L−2 (== ``output[:, -1, :H]``)."""
        return state_index(self.num_layers - 1, Direction.FORWARD)

    @property
    def last_backward(self) -> int:
        """Index of the top layer's backward final state: 2L−1 (== ``output[:, 0, H:]``)."""
        return state_index(self.num_layers - 1, Direction.BACKWARD)


def state_index(layer: int, direction: Direction) -> int:
    """PyTorch's index into ``h_n``: ``layer*2 + direction`` (0 forward, 1 backward)."""
    return layer * 2 + DIRECTION_INDEX[direction]


def one_module(spec: ModelSpec) -> bool:
    """Whether one ``nn.LSTM(num_layers=depth)`` can be the whole stack.

    PyTorch's stacked module has one hidden size and always feeds the next layer both
    directions side by side (Keras's concat).
    """
    same_units = len(set(spec.units)) == 1
    return spec.depth == 1 or (same_units and spec.merge_mode is MergeMode.CONCAT)


def torch_states(spec: ModelSpec) -> TorchStates:
    """The bidirectional PyTorch module's ``output`` and ``h_n`` for ``spec``.

    Raises:
        SpecError: PyTorch has no equivalent (a GRU with ``reset_after=False``).
    """
    check_torch_equivalent(spec)
    stacked = one_module(spec)
    hidden = spec.units[-1]
    num_layers = spec.depth if stacked else 1
    if stacked or spec.depth == 1:
        input_size = spec.input.width
    else:  # the top module reads the layer below, merged as Keras merges it
        input_size = spec.units[-2] * spec.merge_mode.width_factor
    batch: Dim = spec.batch_size if spec.batch_size is not None else "batch"
    steps: Dim = spec.input.seq_len if spec.input.seq_len is not None else "T"
    # The Keras layers the module's layers stand for: all of them, or the top one alone.
    names = [row.name for row in analyze(spec, bidirectional=True).recurrent_rows][-num_layers:]
    indices = tuple(
        StateIndex(state_index(layer, direction), layer, direction, names[layer])
        for layer in range(num_layers)
        for direction in Direction
    )
    return TorchStates(
        module=spec.cell.torch_name,
        input_size=input_size,
        hidden=hidden,
        num_layers=num_layers,
        stacked=stacked,
        output_shape=(batch, steps, 2 * hidden),
        h_n_shape=(num_layers * 2, batch, hidden),
        has_cell_state=spec.cell.state_names == ("h", "c"),
        indices=indices,
    )
