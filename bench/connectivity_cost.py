"""What do the connectivity maps cost next to the training they follow? Ratios, this run.

After a worker's warm-up run, for each task's Training Lab defaults (and larger models),
this trains once with `bilstm_lab.training.train` — which computes the maps at the end — and
prints the whole call's seconds, the training's (``TrainResult.seconds``), the maps' seconds and their ratio. It then times, on the same trained models, the
maps again (warm) and the reverse-mode alternative (``GradientTape.batch_jacobian`` of every
output step at once), the baseline the forward-mode choice in
`bilstm_lab.training.connectivity` is measured against. It asserts nothing.

Run: ``python bench/connectivity_cost.py [--tasks look_ahead reversal] [--large]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from bilstm_lab.core.tasks import TaskParams
from bilstm_lab.core.train_config import HELD_OUT, TASK_DEFAULTS, TrainConfig, model_spec
from bilstm_lab.training.connectivity import (
    CONNECTIVITY_SEQUENCES,
    _directions,
    _states,
    connectivity,
)
from bilstm_lab.training.loop import train
from bilstm_lab.training.warmup import warm_up

#: Largest full Jacobian (floats) the reverse-mode comparison builds in one piece.
REVERSE_MAX = 50_000_000


def reverse_mode_seconds(model, spec, bidirectional: bool, tokens: np.ndarray) -> float:
    """Seconds for the same norms by ``batch_jacobian`` (reverse mode, pfor), for comparison."""
    started = time.perf_counter()
    below, copies = _directions(model, spec, bidirectional)
    embedded = model.get_layer("embedding")(tf.constant(tokens), training=False)
    n = int(embedded.shape[0])
    with tf.GradientTape() as tape:
        tape.watch(embedded)
        flat = tf.reshape(_states(below, copies, embedded), (n, -1))  # (n, T * dirs * units)
    block = tape.batch_jacobian(flat, embedded)  # (n, T * dirs * units, T, E)
    tf.reduce_sum(tf.square(block)).numpy()
    return time.perf_counter() - started


def measure(name: str, config: TrainConfig) -> None:
    started = time.perf_counter()
    result = train(config)
    whole = time.perf_counter() - started  # what a Train waits for in the worker
    maps = result.connectivity
    if maps is None:
        print(f"{name:>13}: run {whole:5.2f} s, no maps (over the work budget)")
        return
    held_out = config.task_obj.generate(config.params, HELD_OUT, config.seed + 1_000_003)
    tokens = held_out.x[:CONNECTIVITY_SEQUENCES]
    spec_uni, spec_bi = model_spec(config, result.units_uni), model_spec(config)
    started = time.perf_counter()
    connectivity(result.uni_model, spec_uni, result.bi_model, spec_bi, tokens)
    warm = time.perf_counter() - started
    line = (
        f"{name:>13}: run {whole:5.2f} s, of it training {result.seconds:5.2f} s | maps "
        f"{maps.seconds:4.2f} s ({maps.seconds / whole:4.1%} of the run, "
        f"{maps.seconds / result.seconds:4.1%} of training) | warm again {warm:4.2f} s"
    )
    steps = config.params.seq_len
    if len(tokens) * steps * 2 * config.units * steps * config.embedding_dim > REVERSE_MAX:
        print(f"{line} | batch_jacobian skipped (its Jacobian would not fit in memory)")
        return
    reverse = reverse_mode_seconds(result.uni_model, spec_uni, False, tokens)
    reverse += reverse_mode_seconds(result.bi_model, spec_bi, True, tokens)
    print(f"{line} | batch_jacobian {reverse:5.2f} s ({reverse / max(warm, 1e-9):4.1f}x the maps)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=["look_ahead"], choices=list(TASK_DEFAULTS))
    parser.add_argument("--large", action="store_true", help="also 32 steps, 32 and 64 units")
    args = parser.parse_args()
    warm_up()  # as a worker does before its first job: one-off first-use costs are not counted
    for task in args.tasks:
        measure(task, TASK_DEFAULTS[task])
    if args.large:
        base = TASK_DEFAULTS["look_ahead"]
        measure("T=32", base.with_changes(params=TaskParams(seq_len=32, k=3, vocab=8)))
        measure(
            "T=32, 64 u.",
            base.with_changes(params=TaskParams(seq_len=32, k=3, vocab=8), units=64, epochs=2),
        )


if __name__ == "__main__":
    main()
