"""Train the unidirectional and bidirectional variant of a model on a toy task, side by side.

Both variants see identical batches: the same data, in the same order, in the *same* compiled
training step (one compiled function computes both losses and updates both models), so
neither gets an advantage from data order, and the lab pays one dispatch per batch instead of
two. Progress goes out through a callback; a ``should_stop`` hook and a time budget stop the
loop between batches. The run was validated by `bilstm_lab.core.train_config` on the server.

Runs in a worker process (`bilstm_lab.workers`), never in the Streamlit server. No Keras
global state: models are built with explicit seeds by `bilstm_lab.models.builder`, data comes
from ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from bilstm_lab.core.analysis import analyze
from bilstm_lab.core.results import EpochRecord, Progress, TrainResult
from bilstm_lab.core.tasks import Batch
from bilstm_lab.core.train_config import (
    HELD_OUT,
    StopReason,
    TrainConfig,
    matched_units,
    model_spec,
)
from bilstm_lab.models.builder import build_model
from bilstm_lab.training.probes import hidden_states
from bilstm_lab.training.scoring import (
    delay_targets,
    delayed_mask,
    overall_accuracy,
    step_accuracy,
    undelay,
)

ProgressCallback = Callable[[Progress], None]


class _Trainer:
    """The two models, one optimizer and one compiled step that trains both."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.units_uni = matched_units(config) if config.match_params else config.units
        self.spec_uni = model_spec(config, self.units_uni)
        self.spec_bi = model_spec(config)
        # Same seed for both: without parameter matching the forward directions start equal.
        options = {"unroll": True} if config.use_unroll else None
        self.uni = build_model(self.spec_uni, False, seed=config.seed, layer_options=options)
        self.bi = build_model(self.spec_bi, True, seed=config.seed, layer_options=options)
        self.variables = self.uni.trainable_variables + self.bi.trainable_variables
        # One Adam for both is exactly two independent Adams: its update is per parameter and
        # the summed loss has disjoint gradients (no global-norm clipping couples them).
        self.optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
        self.optimizer.build(self.variables)
        self.per_step = config.task_obj.per_step
        jit = config.jit_compile
        self.train_step = tf.function(self._train_step, jit_compile=jit, reduce_retracing=True)
        self.predict_step = tf.function(self._predict, jit_compile=jit, reduce_retracing=True)

    def _loss_and_hits(
        self, y: tf.Tensor, probs: tf.Tensor, mask: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        losses = keras.losses.sparse_categorical_crossentropy(y, probs)  # (batch, T) or (batch,)
        hits = tf.cast(tf.equal(tf.argmax(probs, axis=-1, output_type=tf.int32), y), tf.float32)
        if not self.per_step:
            return tf.reduce_mean(losses), tf.reduce_mean(hits)
        total = tf.maximum(tf.reduce_sum(mask), 1.0)
        return tf.reduce_sum(losses * mask) / total, tf.reduce_sum(hits * mask) / total

    def _train_step(self, data: tuple[tf.Tensor, ...], rows: tf.Tensor) -> tf.Tensor:
        # The whole training set stays on the TF side; only the batch's row indices cross
        # over from Python each step (one small conversion instead of five batch copies).
        x, y_uni, m_uni, y_bi, m_bi = (tf.gather(part, rows) for part in data)  # (batch, T)
        with tf.GradientTape() as tape:
            p_uni = self.uni(x, training=True)  # (batch, T, classes) or (batch, classes)
            p_bi = self.bi(x, training=True)
            loss_uni, acc_uni = self._loss_and_hits(y_uni, p_uni, m_uni)
            loss_bi, acc_bi = self._loss_and_hits(y_bi, p_bi, m_bi)
            total = loss_uni + loss_bi
        grads = tape.gradient(total, self.variables)
        self.optimizer.apply_gradients(zip(grads, self.variables, strict=True))
        return tf.stack([loss_uni, loss_bi, acc_uni, acc_bi])  # (4,)

    def _predict(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        p_uni = tf.argmax(self.uni(x, training=False), axis=-1, output_type=tf.int32)
        p_bi = tf.argmax(self.bi(x, training=False), axis=-1, output_type=tf.int32)
        return p_uni, p_bi

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class predictions of both models, in raw output time."""
        p_uni, p_bi = self.predict_step(tf.constant(x))
        return np.asarray(p_uni), np.asarray(p_bi)


@dataclass
class _Data:
    """The run's training set on the TF side, and its held-out set."""

    tensors: tuple[tf.Tensor, ...]  # x, y_uni, m_uni, y_bi, m_bi; each (samples, T) or (samples,)
    held_out: Batch


def _prepare_data(config: TrainConfig) -> _Data:
    task = config.task_obj
    train_set = task.generate(config.params, config.samples, config.seed)
    held_out = task.generate(config.params, HELD_OUT, config.seed + 1_000_003)
    y_uni, m_uni = train_set.y, train_set.mask
    if task.per_step:
        y_uni, m_uni = delay_targets(train_set.y, train_set.mask, config.target_delay)
    parts = (train_set.x, y_uni, m_uni, train_set.y, train_set.mask)
    return _Data(tuple(tf.constant(part) for part in parts), held_out)


@dataclass
class _Clock:
    """Run-wide counters shared by the epochs."""

    started: float
    samples_seen: int = 0
    eval_seconds: float = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def _train_epoch(
    trainer: _Trainer,
    data: _Data,
    epoch: int,
    order: np.ndarray,
    clock: _Clock,
    history: list[EpochRecord],
    on_progress: ProgressCallback | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[np.ndarray, int, str]:
    """One pass over the shuffled training set.

    Returns:
        ``(sums, batches_done, reason)``: summed (loss_uni, loss_bi, acc_uni, acc_bi) over the
        batches run, and why the epoch ended (`StopReason.FINISHED` when it ran to the end).
    """
    config = trainer.config
    batches = config.samples // config.batch_size  # drop the ragged tail: one compiled shape
    report_every = max(1, batches // 8)
    sums = np.zeros(4)
    pending: list[tf.Tensor] = []
    done = 0
    reason = StopReason.FINISHED
    for index in range(batches):
        if should_stop is not None and should_stop():
            reason = StopReason.STOPPED
            break
        if clock.elapsed() > config.time_budget:
            reason = StopReason.TIME_BUDGET
            break
        rows = order[index * config.batch_size : (index + 1) * config.batch_size]
        # Metrics stay tensors until a report: reading them every step would sync.
        pending.append(trainer.train_step(data.tensors, tf.constant(rows, dtype=tf.int32)))
        done += 1
        clock.samples_seen += len(rows)
        if on_progress is not None and (index + 1) % report_every == 0:
            sums += tf.add_n(pending).numpy()
            pending.clear()
            mean = sums / done
            snapshot = (epoch, config.epochs, index + 1, batches, clock.elapsed(), mean[0], mean[1])
            on_progress(Progress(*snapshot, tuple(history)))
    if pending:
        sums += tf.add_n(pending).numpy()
    return sums, done, reason


def _epoch_record(
    trainer: _Trainer, data: _Data, epoch: int, mean: np.ndarray, clock: _Clock
) -> EpochRecord:
    """Evaluate both models on the held-out set after an epoch."""
    config = trainer.config
    per_step = config.task_obj.per_step
    started = time.perf_counter()
    pred_uni, pred_bi = trainer.predict(data.held_out.x)
    epoch_eval = time.perf_counter() - started
    clock.eval_seconds += epoch_eval
    mask = data.held_out.mask if per_step else None
    if per_step:
        pred_uni = undelay(pred_uni, config.target_delay)
    uni_mask = delayed_mask(mask, config.target_delay)
    return EpochRecord(
        epoch,
        mean[0],
        mean[1],
        mean[2],
        mean[3],
        overall_accuracy(pred_uni, data.held_out.y, uni_mask),
        overall_accuracy(pred_bi, data.held_out.y, mask),
        clock.elapsed(),
        epoch_eval,
    )


def train(
    config: TrainConfig,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train both variants of ``config`` on identical batches and evaluate them.

    Args:
        config: the run (validated on construction).
        on_progress: called after every few batches and after every epoch.
        should_stop: polled between batches; returning True ends training early (the models
            trained so far are still evaluated).

    Returns:
        The result, including both models.
    """
    data = _prepare_data(config)
    trainer = _Trainer(config)
    rng = np.random.default_rng(config.seed)
    history: list[EpochRecord] = []
    clock = _Clock(time.perf_counter())
    reason = StopReason.FINISHED
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(config.samples)
        sums, done, reason = _train_epoch(
            trainer, data, epoch, order, clock, history, on_progress, should_stop
        )
        if done:
            mean = sums / done
            history.append(_epoch_record(trainer, data, epoch, mean, clock))
            if on_progress is not None:
                batches = config.samples // config.batch_size
                snapshot = (epoch, config.epochs, done, batches, clock.elapsed(), mean[0], mean[1])
                on_progress(Progress(*snapshot, tuple(history)))
        if reason != StopReason.FINISHED:
            break
    return _finish(trainer, data.held_out, history, reason, clock)


def _finish(
    trainer: _Trainer,
    held_out: Batch,
    history: list[EpochRecord],
    reason: str,
    clock: _Clock,
) -> TrainResult:
    config = trainer.config
    task = config.task_obj
    delay = config.target_delay
    seconds = clock.elapsed()
    pred_uni, pred_bi = trainer.predict(held_out.x)
    if task.per_step:
        pred_uni = undelay(pred_uni, delay)
        mask_uni = delayed_mask(held_out.mask, delay)
        assert mask_uni is not None
        step_uni: np.ndarray | None = step_accuracy(pred_uni, held_out.y, mask_uni)
        step_bi: np.ndarray | None = step_accuracy(pred_bi, held_out.y, held_out.mask)
        acc_uni = overall_accuracy(pred_uni, held_out.y, mask_uni)
        acc_bi = overall_accuracy(pred_bi, held_out.y, held_out.mask)
    else:
        step_uni = step_bi = None
        acc_uni = overall_accuracy(pred_uni, held_out.y, None)
        acc_bi = overall_accuracy(pred_bi, held_out.y, None)
    sample = Batch(held_out.x[:1], held_out.y[:1], held_out.mask[:1])
    forward, backward = hidden_states(trainer.bi, trainer.spec_bi, True, sample.x)
    hidden_uni, _ = hidden_states(trainer.uni, trainer.spec_uni, False, sample.x)
    assert backward is not None
    return TrainResult(
        config=config,
        history=history,
        reason=reason,
        seconds=seconds,
        samples_seen=clock.samples_seen,
        params_uni=analyze(trainer.spec_uni, bidirectional=False).total_params,
        params_bi=analyze(trainer.spec_bi, bidirectional=True).total_params,
        units_uni=trainer.units_uni,
        chance=task.chance(config.params),
        ceiling=task.causal_ceiling(config.params),
        step_acc_uni=step_uni,
        step_acc_bi=step_bi,
        acc_uni=acc_uni,
        acc_bi=acc_bi,
        sample=sample,
        pred_uni=pred_uni[:1],
        pred_bi=pred_bi[:1],
        hidden_forward=forward,
        hidden_backward=backward,
        hidden_uni=hidden_uni,
        eval_seconds=clock.eval_seconds,
        uni_model=trainer.uni,
        bi_model=trainer.bi,
    )
