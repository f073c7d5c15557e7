"""Look inside trained recurrent layers: the hidden state at every step, per direction."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from bilstm_lab.core.analysis import layer_name
from bilstm_lab.core.spec import ModelSpec


def sequence_copy(
    layer: keras.layers.Layer, input_shape: tuple[int | None, ...], **options: Any
) -> keras.layers.Layer:
    """A copy of a recurrent layer (same weights) that returns every step.

    The trained layer may return only its last step (sequence-level tasks); the copy shows
    the hidden state at every step. ``options`` override config entries that keep the maths
    (e.g. ``unroll=True``).
    """
    config = {**layer.get_config(), "return_sequences": True, "return_state": False, **options}
    config["name"] = f"{config['name']}_probe"
    copy = type(layer).from_config(config)
    copy.build(input_shape)
    copy.set_weights(layer.get_weights())
    return copy


def _run_sequence_copy(layer: keras.layers.Layer, inputs: Any) -> np.ndarray:
    """Run `sequence_copy` of ``layer`` on ``inputs``: ``(T, units)`` for the first sequence."""
    return np.asarray(sequence_copy(layer, tuple(inputs.shape))(inputs))[0]


def hidden_states(
    model: keras.Model, spec: ModelSpec, bidirectional: bool, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Hidden states of the last recurrent layer for one sequence ``x`` of shape ``(1, T)``.

    Returns:
        ``(forward, backward)``, each ``(T, units)``; ``backward`` is in input-time order
        (``None`` for the unidirectional model).
    """
    last = model.get_layer(layer_name(spec, spec.depth - 1, bidirectional))
    below = keras.Model(model.input, last.input)  # (1, T, width) what the layer reads
    inputs = below(x, training=False)
    if not bidirectional:
        return _run_sequence_copy(last, inputs), None
    forward = _run_sequence_copy(last.forward_layer, inputs)  # (T, units)
    # go_backwards=True emits outputs in reversed time; flip so row t is input step t.
    backward = _run_sequence_copy(last.backward_layer, inputs)[::-1]  # (T, units)
    return forward, backward
