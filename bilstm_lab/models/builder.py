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
from bilstm_lab.core.spec import ModelSpec, TokenInput

_CELL_CLASSES = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}


def _initializers(seed: int | None, offset: int) -> dict[str, Any]:
    """Seeded copies of Keras's default initializers (empty when unseeded)."""
    if seed is None:
        return {}
    return {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=seed + offset),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=seed + offset + 1),
    }


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
    cell_class = _CELL_CLASSES[spec.cell.value]
    is_last = index == spec.depth - 1
    options = {
        "units": spec.units[index],
        "return_sequences": spec.layer_returns_sequences(index),
        "return_state": spec.return_state and is_last,
        **overrides,
    }
    name = layer_name(spec, index, bidirectional=False)
    forward = cell_class(name=name, **options, **_initializers(seed, 10 * index))
    if not bidirectional:
        return forward
    backward = cell_class(
        name=f"backward_{name}", go_backwards=True, **options, **_initializers(seed, 10 * index + 5)
    )
    return keras.layers.Bidirectional(
        forward,
        backward_layer=backward,
        merge_mode=spec.merge_mode.keras_value,
        name=layer_name(spec, index, bidirectional=True),
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
    shape = (spec.input.seq_len,) if is_tokens else (spec.input.seq_len, spec.input.width)
    inputs = keras.Input(
        shape=shape,
        batch_size=spec.batch_size,
        dtype="int32" if is_tokens else "float32",
        name=input_name(spec),
    )
    x: Any = inputs
    if isinstance(spec.input, TokenInput):
        embeddings_init = (
            {}
            if seed is None
            else {
                "embeddings_initializer": keras.initializers.RandomUniform(
                    -0.05, 0.05, seed=seed + 1000
                )
            }
        )
        x = keras.layers.Embedding(
            spec.input.vocab, spec.input.embedding_dim, name="embedding", **embeddings_init
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
        dense_init = (
            {}
            if seed is None
            else {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed + 2000)}
        )
        x = keras.layers.Dense(
            spec.head.units, activation=spec.head.activation, name="dense", **dense_init
        )(x)  # (batch, T, units) on a sequence, else (batch, units)
    outputs = (x if isinstance(x, list) else [x]) + states
    name = ("bi" if bidirectional else "") + spec.cell.value
    return keras.Model(inputs, outputs[0] if len(outputs) == 1 else outputs, name=name)


def layer_output_shapes(layer: keras.layers.Layer) -> list[tuple[int | None, ...]]:
    """The output shape(s) of a layer in a built functional model, as tuples."""
    output = layer.output
    tensors = output if isinstance(output, (list, tuple)) else [output]
    return [tuple(tensor.shape) for tensor in tensors]


def layer_type(layer: keras.layers.Layer) -> str:
    """The Keras class name; ``Bidirectional(LSTM)`` for a wrapper (as the analysis writes it)."""
    kind = type(layer).__name__
    if kind == "Bidirectional":
        return f"Bidirectional({type(layer.forward_layer).__name__})"
    return kind
