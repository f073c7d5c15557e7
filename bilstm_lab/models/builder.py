"""spec -> keras.Model: the only place in the lab that builds Keras models.

Layer names come from the spec (see `analysis.layer_name`), never from Keras's global name
counters, and nothing here touches Keras's global state (no ``clear_session``, no global
seed): many browser sessions share one server process. When a seed is given, every
initializer is seeded explicitly instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ start-up chatter quiet

import keras

from bilstm_lab.core.analysis import input_name, layer_name
from bilstm_lab.core.spec import Cell, ModelSpec, TokenInput

#: The Keras layer class of each cell: the lab's only cell -> class map.
_CELL_CLASSES: dict[Cell, type[keras.layers.Layer]] = {
    Cell.LSTM: keras.layers.LSTM,
    Cell.GRU: keras.layers.GRU,
    Cell.RNN: keras.layers.SimpleRNN,
}


def cell_class(cell: Cell | str) -> type[keras.layers.Layer]:
    """The Keras class of a cell (``"lstm"`` or `Cell.LSTM` -> ``keras.layers.LSTM``).

    Raises:
        ValueError: ``cell`` is not a known cell.
    """
    return _CELL_CLASSES[Cell(cell)]


def seeded_initializers(seed: int | None, bias_range: float | None = None) -> dict[str, Any]:
    """Explicitly seeded initializers for a recurrent cell (empty when ``seed`` is None).

    Args:
        seed: seeds the kernel; the recurrent kernel gets ``seed + 1``, the bias ``seed + 2``.
        bias_range: also draw the bias uniformly from ``[-bias_range, bias_range]`` (a zero
            bias hides some effects in tiny demonstrations); ``None`` keeps Keras's zeros.

    Returns:
        Keyword arguments for the cell's constructor: Keras's default kernel initializers
        (Glorot uniform, orthogonal), seeded.
    """
    if seed is None:
        return {}
    initializers: dict[str, Any] = {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=seed),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=seed + 1),
    }
    if bias_range is not None:
        initializers["bias_initializer"] = keras.initializers.RandomUniform(
            -bias_range, bias_range, seed=seed + 2
        )
    return initializers


def seeded_cell(
    cell: Cell | str,
    units: int,
    name: str,
    seed: int | None = None,
    *,
    bias_range: float | None = None,
    **options: Any,
) -> keras.layers.Layer:
    """One named recurrent layer, its initializers seeded explicitly (see `seeded_initializers`).

    Args:
        cell: which cell.
        units: hidden units.
        name: the layer's name (never Keras's global counter).
        seed: seeds the weights; ``None`` leaves Keras's defaults.
        bias_range: see `seeded_initializers`.
        **options: other constructor arguments (``return_sequences``, ``go_backwards``, ...).
    """
    return cell_class(cell)(units, name=name, **options, **seeded_initializers(seed, bias_range))


def seeded_bidirectional(
    cell: Cell | str,
    units: int,
    name: str,
    seed: int | None = None,
    *,
    backward_seed: int | None = None,
    merge_mode: str | None = "concat",
    wrapper_name: str | None = None,
    bias_range: float | None = None,
    **options: Any,
) -> keras.layers.Bidirectional:
    """``Bidirectional(cell(units, **options))`` with both directions named and seeded apart.

    Args:
        cell: which cell.
        units: units per direction.
        name: the forward layer's name; the backward one is ``backward_<name>``.
        seed: seeds the forward direction; ``None`` leaves Keras's defaults.
        backward_seed: seeds the backward direction; by default ``seed + 100``, so the two
            directions do not start as copies of each other.
        merge_mode: Keras's ``merge_mode`` (``None`` returns both directions).
        wrapper_name: the wrapper's name; ``bi_<name>`` by default.
        bias_range: see `seeded_initializers`.
        **options: constructor arguments for both directions (``return_sequences``, ...).
    """
    if backward_seed is None and seed is not None:
        backward_seed = seed + 100
    forward = seeded_cell(cell, units, name, seed, bias_range=bias_range, **options)
    backward = seeded_cell(
        cell,
        units,
        f"backward_{name}",
        backward_seed,
        bias_range=bias_range,
        go_backwards=True,
        **options,
    )
    return keras.layers.Bidirectional(
        forward,
        backward_layer=backward,
        merge_mode=merge_mode,
        name=wrapper_name or f"bi_{name}",
    )


def seeded_embedding(
    vocab: int,
    dim: int,
    name: str = "embedding",
    seed: int | None = None,
    *,
    init_range: float = 0.05,
    mask_zero: bool = False,
) -> keras.layers.Embedding:
    """A named ``Embedding``, its table drawn from ``U(-init_range, init_range)`` with ``seed``.

    With ``seed=None`` the initializer is Keras's default (``U(-0.05, 0.05)``, unseeded).
    """
    options: dict[str, Any] = {"mask_zero": True} if mask_zero else {}
    if seed is not None:
        options["embeddings_initializer"] = keras.initializers.RandomUniform(
            -init_range, init_range, seed=seed
        )
    return keras.layers.Embedding(vocab, dim, name=name, **options)


def seeded_dense(
    units: int, name: str = "dense", seed: int | None = None, activation: str | None = None
) -> keras.layers.Dense:
    """A named ``Dense``, its kernel seeded (Glorot uniform) unless ``seed`` is None."""
    options: dict[str, Any] = (
        {} if seed is None else {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed)}
    )
    return keras.layers.Dense(units, activation=activation, name=name, **options)


def chain_model(
    input_shape: tuple[int | None, ...],
    layers: list[keras.layers.Layer],
    *,
    name: str,
    input_name: str = "x",
    dtype: str = "float32",
) -> keras.Model:
    """A functional model that applies ``layers`` one after the other to one named input.

    Raises:
        ValueError: a layer refuses its input (Keras's own message, e.g. a missing time axis).
    """
    inputs = keras.Input(input_shape, dtype=dtype, name=input_name)
    x: Any = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name=name)


def recurrent_layer(
    spec: ModelSpec,
    index: int,
    bidirectional: bool,
    seed: int | None = None,
    **overrides: Any,
) -> keras.layers.Layer:
    """Recurrent layer ``index`` of a spec, wrapped in `Bidirectional` when asked.

    Args:
        spec: the model.
        index: which recurrent layer (0-based, bottom first).
        bidirectional: wrap it in `Bidirectional` with ``spec.merge_mode``.
        seed: seed for the initializers; the backward direction gets its own seed so the two
            directions do not start as copies of each other.
        **overrides: extra keyword arguments for the cell layer (e.g. ``unroll``).

    Returns:
        The (possibly wrapped) layer, named after the spec.
    """
    is_last = index == spec.depth - 1
    options = {
        "units": spec.units[index],
        "return_sequences": spec.layer_returns_sequences(index),
        "return_state": spec.return_state and is_last,
        **spec.cell_options,  # use_bias, reset_after: only where they differ from Keras's
        **overrides,
    }
    units = options.pop("units")
    name = layer_name(spec, index, bidirectional=False)
    # Each layer's directions get their own seeds: 10·index apart, the backward one +5.
    layer_seed = None if seed is None else seed + 10 * index
    if not bidirectional:
        return seeded_cell(spec.cell, units, name, layer_seed, **options)
    return seeded_bidirectional(
        spec.cell,
        units,
        name,
        layer_seed,
        backward_seed=None if layer_seed is None else layer_seed + 5,
        merge_mode=spec.merge_mode.keras_value,
        wrapper_name=layer_name(spec, index, bidirectional=True),
        **options,
    )


def build_model(
    spec: ModelSpec,
    bidirectional: bool,
    seed: int | None = None,
    layer_options: Mapping[str, Any] | None = None,
) -> keras.Model:
    """Build the Keras model a spec describes.

    Args:
        spec: the model.
        bidirectional: build the BiLSTM variant (every recurrent layer wrapped in
            `Bidirectional`), or the plain one.
        seed: seed every initializer explicitly (for reproducible training); ``None`` leaves
            Keras's defaults.
        layer_options: extra keyword arguments for every recurrent cell layer that do not
            change the model's maths (e.g. ``{"unroll": True}``, which the Training Lab uses
            on its short sequences for speed); ``None`` for Keras's defaults.

    Returns:
        A functional ``keras.Model``. Its outputs are the Dense head's output (or the last
        recurrent layer's output), followed by the states when ``spec.return_state`` is set.
    """
    is_tokens = isinstance(spec.input, TokenInput)
    # seq_len None is a variable length: Input(shape=(None, d)).
    shape = (spec.input.seq_len,) if is_tokens else (spec.input.seq_len, spec.input.width)
    inputs = keras.Input(
        shape=shape,
        batch_size=spec.batch_size,
        dtype="int32" if is_tokens else "float32",
        name=input_name(spec),
    )
    x: Any = inputs
    if isinstance(spec.input, TokenInput):
        x = seeded_embedding(
            spec.input.vocab,
            spec.input.embedding_dim,
            "embedding",
            None if seed is None else seed + 1000,
        )(x)  # (batch, T, embedding_dim)
    states: list[Any] = []
    for index in range(spec.depth):
        x = recurrent_layer(spec, index, bidirectional, seed, **(layer_options or {}))(x)
        if spec.return_state and index == spec.depth - 1:
            # (output, *states), or (forward, backward, *states) for merge mode None.
            outputs_count = 2 if bidirectional and spec.merge_mode.keras_value is None else 1
            states = list(x[outputs_count:])
            x = x[0] if outputs_count == 1 else list(x[:outputs_count])
    if spec.head is not None:
        x = seeded_dense(
            spec.head.units,
            "dense",
            None if seed is None else seed + 2000,
            activation=spec.head.activation,
        )(x)  # (batch, T, units) on a sequence, else (batch, units)
    outputs = (x if isinstance(x, list) else [x]) + states
    name = ("bi" if bidirectional else "") + spec.cell.value
    return keras.Model(inputs, outputs[0] if len(outputs) == 1 else outputs, name=name)


def layer_output_shapes(layer: keras.layers.Layer) -> list[tuple[int | None, ...]]:
    """The output shape(s) of a layer in a built functional model, as tuples."""
    output = layer.output
    tensors = output if isinstance(output, (list, tuple)) else [output]
    return [tuple(tensor.shape) for tensor in tensors]
