"""Train the unidirectional and bidirectional variant of a model on a toy task, side by side.

Both variants see identical batches: the same data, in the same order, in the *same* compiled
training step (one compiled function computes both losses and updates both models), so
neither gets an advantage from data order, and the lab pays one dispatch per batch instead of
two. Progress goes out through a callback — with the held-out accuracy at each time step
after every epoch (and once before the first batch), so the page's per-step chart moves while
the models learn; a ``should_stop`` hook and a time budget stop the loop between batches. The run was validated by `bilstm_lab.core.train_config` on the server.

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
from bilstm_lab.core.results import EpochRecord, Progress, StepScores, TrainResult
from bilstm_lab.core.tasks import Batch
from bilstm_lab.core.train_config import (
    HELD_OUT,
    StopReason,
    TrainConfig,
    matched_units,
    model_spec,
)
from bilstm_lab.models.builder import build_model
from bilstm_lab.training.connectivity import CONNECTIVITY_SEQUENCES, connectivity
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
    """The run's training set on the TF side, its held-out set and the LSTM's ceiling."""

    tensors: tuple[tf.Tensor, ...]  # x, y_uni, m_uni, y_bi, m_bi; each (samples, T) or (samples,)
    held_out: Batch
    ceiling: np.ndarray | None  # (T,) best possible for the (delayed) unidirectional model


def _prepare_data(config: TrainConfig) -> _Data:
    task = config.task_obj
    train_set = task.generate(config.params, config.samples, config.seed)
    held_out = task.generate(config.params, HELD_OUT, config.seed + 1_000_003)
    y_uni, m_uni = train_set.y, train_set.mask
    if task.per_step:
        y_uni, m_uni = delay_targets(train_set.y, train_set.mask, config.target_delay)
    parts = (train_set.x, y_uni, m_uni, train_set.y, train_set.mask)
    ceiling = task.causal_ceiling(config.params, config.target_delay)
    return _Data(tuple(tf.constant(part) for part in parts), held_out, ceiling)


@dataclass(frozen=True)
class _Evaluation:
    """Both models scored on the held-out set (predictions in label time)."""

    acc_uni: float
    acc_bi: float
    pred_uni: np.ndarray  # (n, T) or (n,)
    pred_bi: np.ndarray
    steps: StepScores | None  # per-step tasks only
    seconds: float


def _evaluate(trainer: _Trainer, data: _Data) -> _Evaluation:
    """Score both models on the held-out set: overall and (per-step tasks) at each step."""
    config = trainer.config
    held_out = data.held_out
    started = time.perf_counter()
    pred_uni, pred_bi = trainer.predict(held_out.x)
    if not trainer.per_step:
        acc_uni = overall_accuracy(pred_uni, held_out.y, None)
        acc_bi = overall_accuracy(pred_bi, held_out.y, None)
        return _Evaluation(acc_uni, acc_bi, pred_uni, pred_bi, None, time.perf_counter() - started)
    pred_uni = undelay(pred_uni, config.target_delay)
    mask_uni = delayed_mask(held_out.mask, config.target_delay)
    assert mask_uni is not None and data.ceiling is not None
    steps = StepScores(
        uni=step_accuracy(pred_uni, held_out.y, mask_uni),
        bi=step_accuracy(pred_bi, held_out.y, held_out.mask),
        ceiling=data.ceiling,
        chance=config.task_obj.chance(config.params),
    )
    return _Evaluation(
        overall_accuracy(pred_uni, held_out.y, mask_uni),
        overall_accuracy(pred_bi, held_out.y, held_out.mask),
        pred_uni,
        pred_bi,
        steps,
        time.perf_counter() - started,
    )


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
) -> tuple[EpochRecord, StepScores | None]:
    """Evaluate both models on the held-out set after an epoch: its record, and the per-step
    accuracies for the live chart."""
    evaluation = _evaluate(trainer, data)
    clock.eval_seconds += evaluation.seconds
    record = EpochRecord(
        epoch,
        mean[0],
        mean[1],
        mean[2],
        mean[3],
        evaluation.acc_uni,
        evaluation.acc_bi,
        clock.elapsed(),
        evaluation.seconds,
    )
    return record, evaluation.steps


def _report_start(
    trainer: _Trainer, data: _Data, clock: _Clock, on_progress: ProgressCallback
) -> None:
    """Report the untrained models' per-step accuracy, so the live chart shows the starting
    point (chance, under the ceiling) while the first training step compiles."""
    evaluation = _evaluate(trainer, data)
    clock.eval_seconds += evaluation.seconds
    config = trainer.config
    batches = config.samples // config.batch_size
    nan = float("nan")
    start = (1, config.epochs, 0, batches, clock.elapsed(), nan, nan, ())
    on_progress(Progress(*start, steps=evaluation.steps))


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
    if on_progress is not None:
        _report_start(trainer, data, clock, on_progress)
    reason = StopReason.FINISHED
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(config.samples)
        sums, done, reason = _train_epoch(
            trainer, data, epoch, order, clock, history, on_progress, should_stop
        )
        if done:
            mean = sums / done
            record, steps = _epoch_record(trainer, data, epoch, mean, clock)
            history.append(record)
            if on_progress is not None:
                batches = config.samples // config.batch_size
                snapshot = (epoch, config.epochs, done, batches, clock.elapsed(), mean[0], mean[1])
                on_progress(Progress(*snapshot, tuple(history), steps=steps))
        if reason != StopReason.FINISHED:
            break
    return _finish(trainer, data, history, reason, clock)


def _finish(
    trainer: _Trainer,
    data: _Data,
    history: list[EpochRecord],
    reason: str,
    clock: _Clock,
) -> TrainResult:
    config = trainer.config
    task = config.task_obj
    held_out = data.held_out
    seconds = clock.elapsed()
    final = _evaluate(trainer, data)
    pred_uni, pred_bi = final.pred_uni, final.pred_bi
    sample = Batch(held_out.x[:1], held_out.y[:1], held_out.mask[:1])
    forward, backward = hidden_states(trainer.bi, trainer.spec_bi, True, sample.x)
    hidden_uni, _ = hidden_states(trainer.uni, trainer.spec_uni, False, sample.x)
    assert backward is not None
    # The same held-out sequences for every run of a task: maps of two runs compare directly.
    maps = connectivity(
        trainer.uni, trainer.spec_uni, trainer.bi, trainer.spec_bi,
        held_out.x[:CONNECTIVITY_SEQUENCES],
    )  # fmt: skip
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
        ceiling=data.ceiling,
        step_acc_uni=final.steps.uni if final.steps else None,
        step_acc_bi=final.steps.bi if final.steps else None,
        acc_uni=final.acc_uni,
        acc_bi=final.acc_bi,
        sample=sample,
        pred_uni=pred_uni[:1],
        pred_bi=pred_bi[:1],
        hidden_forward=forward,
        hidden_backward=backward,
        hidden_uni=hidden_uni,
        eval_seconds=clock.eval_seconds,
        connectivity=maps,
        uni_model=trainer.uni,
        bi_model=trainer.bi,
    )
