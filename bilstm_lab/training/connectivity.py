"""Connectivity per direction: how strongly each output step depends on each input step.

For a trained model, ``C[t, s]`` is the Frobenius norm of the Jacobian block ∂y_t/∂x_s, averaged
over a fixed batch of held-out sequences, where

- ``x_s`` is what the recurrent stack reads at step s: the embedding's output, ``(E,)`` per step
  (token ids have no gradient; the embedding vector is the model's continuous input);
- ``y_t`` is the state the *last* recurrent layer emits at step t, per direction: the
  unidirectional model's state, or the forward half / the backward half of the bidirectional
  layer (the backward half re-ordered to input time, as in `bilstm_lab.training.probes`).

The Jacobian is exact, by reverse-mode autodiff (`tf.GradientTape`) done in one batch: every
sequence is repeated once per output coordinate (t, unit) with a one-hot cotangent there, so one
backward pass gives ∂y_{t,i}/∂x_s for every s at once, for all rows together. At the lab's sizes
the cost is per-op dispatch, not arithmetic: this eager batch traces nothing per run, and
measured several times cheaper than ``GradientTape.batch_jacobian`` (whose pfor traces per run;
``bench/connectivity_cost.py``). Forward mode, tried too, traces a JVP per op and shape: slower.
Where no path connects x_s to y_t, the gradient is exactly zero — zero cotangents times weights
— and a gradient of ``None`` (nothing connected at all) becomes 0.0; nothing is masked in.
Runs in a worker.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from bilstm_lab.core.analysis import layer_name
from bilstm_lab.core.connectivity import Connectivity
from bilstm_lab.core.spec import ModelSpec
from bilstm_lab.training.probes import sequence_copy

#: Held-out sequences the norms are averaged over: enough for a stable mean, few enough that
#: the cost stays small next to training: at the default sizes the cost is the arithmetic on
#: T·units rows per sequence (``bench/connectivity_cost.py``).
CONNECTIVITY_SEQUENCES = 8

#: Arithmetic budget: cotangent rows × time steps × state width, over the three maps (~1 s per
#: 25M on the 2-core machine). The default runs (T=12, 32 units: 1.33M per sequence) average
#: all 8 sequences; larger models average fewer, since each sequence costs T·units rows through
#: T steps; a model whose one sequence exceeds it (e.g. T=64 with 128 units: 604M, a minute)
#: gets no maps rather than a wait longer than its training.
WORK_BUDGET = 48_000_000

#: Most activations (float32) one pass may keep per op over all its steps: 32M is 128 MB. The
#: default runs take one pass; the largest models (64 steps, 128 units) take output steps a
#: few at a time.
ROW_FLOATS = 32_000_000


def _directions(
    model: keras.Model, spec: ModelSpec, bidirectional: bool
) -> tuple[list[keras.layers.Layer], list[keras.layers.Layer]]:
    """The recurrent layers under the last one, and copies of the last one per direction.

    The copies return every step and are unrolled (the lab's sequences are at most 64 steps),
    with the trained weights: the same maths as the trained layer, one op per step.
    """
    below = [model.get_layer(layer_name(spec, i, bidirectional)) for i in range(spec.depth - 1)]
    last = model.get_layer(layer_name(spec, spec.depth - 1, bidirectional))
    layers = [last.forward_layer, last.backward_layer] if bidirectional else [last]
    shape = tuple(last.input.shape)
    return below, [sequence_copy(layer, shape, unroll=True) for layer in layers]


def _states(below: list, copies: list, embedded: tf.Tensor) -> tf.Tensor:
    """``(n, T, directions, units)``: the last layer's state per step and direction."""
    h = embedded
    for layer in below:
        h = layer(h, training=False)  # (n, T, width)
    outputs = [copy(h, training=False) for copy in copies]  # each (n, T, units)
    if len(outputs) == 2:
        # go_backwards emits reversed time: flip so index t is input step t.
        outputs[1] = tf.reverse(outputs[1], axis=[1])
    return tf.stack(outputs, axis=2)


def connectivity_map(
    model: keras.Model, spec: ModelSpec, bidirectional: bool, tokens: np.ndarray
) -> list[np.ndarray]:
    """Connectivity of each direction of ``model``'s last recurrent layer.

    Args:
        model: a model built by `bilstm_lab.models.builder.build_model` from ``spec`` (token
            input through its Embedding named ``embedding``).
        spec: its spec.
        bidirectional: whether ``model`` is the bidirectional variant.
        tokens: ``(n, T)`` token ids.

    Returns:
        One ``(T, T)`` float64 array per direction (forward, then backward for a bidirectional
        model): row t = output step, column s = input step, the mean over the n sequences of
        ‖∂y_t/∂x_s‖_F.
    """
    below, copies = _directions(model, spec, bidirectional)
    embedded = model.get_layer("embedding")(tf.constant(tokens), training=False)  # (n, T, E)
    n, steps, dim = (int(size) for size in embedded.shape)
    units = int(copies[0].units)
    width = len(copies) * units  # one row per (direction, unit) of an output step
    gates = max(dim, 4 * max(spec.units))  # the widest activation a step keeps
    per_pass = max(1, ROW_FLOATS // (n * width * steps * gates))  # output steps per pass
    norms = np.zeros((n, steps, len(copies), steps))  # (n, t, direction, s)
    for first in range(0, steps, per_pass):
        outputs = range(first, min(steps, first + per_pass))
        count = len(outputs) * width
        # One copy of each sequence per output coordinate (t, direction, unit), its cotangent
        # one-hot there: the backward pass then gives that coordinate's gradient row.
        onehot = np.zeros((count, steps, len(copies), units), np.float32)
        for i, t in enumerate(outputs):
            onehot[i * width : (i + 1) * width, t] = np.eye(width, dtype=np.float32).reshape(
                width, len(copies), units
            )
        tiled = tf.repeat(embedded, count, axis=0)  # (n * count, T, E)
        with tf.GradientTape() as tape:
            tape.watch(tiled)
            states = _states(below, copies, tiled)  # (n * count, T, directions, units)
        cotangent = tf.tile(tf.constant(onehot), (n, 1, 1, 1))
        grads = tape.gradient(
            states, tiled, output_gradients=cotangent,
            unconnected_gradients=tf.UnconnectedGradients.ZERO,
        )  # (n * count, T, E)  # fmt: skip
        grads = tf.reshape(grads, (n, len(outputs), len(copies), units, steps, dim))
        # Frobenius norm of each (units, E) block ∂y_t/∂x_s: sum over units and over e.
        block = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[3, 5]))  # (n, t, direction, s)
        norms[:, first : first + len(outputs)] = block.numpy()
    mean = norms.mean(axis=0)  # (t, direction, s)
    return [mean[:, d, :].copy() for d in range(len(copies))]


def sequences_within_budget(spec_uni: ModelSpec, spec_bi: ModelSpec, available: int) -> int:
    """How many sequences the maps average over: up to ``available``, within `WORK_BUDGET`
    (0: not even one fits)."""
    steps = spec_bi.input.seq_len or 1
    widths = spec_uni.units[-1] + 2 * spec_bi.units[-1]  # the three maps' state widths
    per_sequence = steps * widths * steps * max(widths, spec_bi.input.width)
    return min(available, WORK_BUDGET // per_sequence)


def connectivity(
    uni: keras.Model,
    spec_uni: ModelSpec,
    bi: keras.Model,
    spec_bi: ModelSpec,
    tokens: np.ndarray,
) -> Connectivity | None:
    """The three maps the Training Lab shows — the unidirectional model, the bidirectional
    model's forward and backward direction — on the same held-out tokens: the first of the
    ``(n, T)`` sequences that fit `WORK_BUDGET` (see `sequences_within_budget`); ``None`` when
    not one does."""
    started = time.perf_counter()
    count = sequences_within_budget(spec_uni, spec_bi, len(tokens))
    if count == 0:
        return None
    tokens = tokens[:count]
    (unidirectional,) = connectivity_map(uni, spec_uni, False, tokens)
    forward, backward = connectivity_map(bi, spec_bi, True, tokens)
    seconds = time.perf_counter() - started
    return Connectivity(unidirectional, forward, backward, len(tokens), seconds)
