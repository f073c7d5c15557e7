"""Train the unidirectional and bidirectional variant of a model on a toy task, side by side.

Both variants see identical batches: the same data, in the same order, in the *same* compiled
training step (one compiled function computes both losses and updates both models), so
neither gets an advantage from data order, and the lab pays one dispatch per batch instead of
two. Progress goes out through a callback; a ``should_stop`` hook and a time budget stop the
loop between batches. Every size is capped here, on the server side.

No Streamlit import, and no Keras global state: models are built with explicit seeds by
`bilstm_lab.models.builder`, data comes from ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from bilstm_lab.core.analysis import analyze, layer_name
from bilstm_lab.core.spec import Cell, DenseHead, ModelSpec, SpecError, TokenInput
from bilstm_lab.core.tasks import Batch, Task, TaskParams, get_task
from bilstm_lab.models.builder import build_model

#: Inclusive bounds of the training knobs (server side: the page's widgets are not trusted).
TRAIN_LIMITS: dict[str, tuple[float, float]] = {
    "samples": (64, 20_000),
    "epochs": (1, 100),
    "units": (2, 128),
    "layers": (1, 2),
    "embedding_dim": (2, 64),
    "batch_size": (8, 512),
    "learning_rate": (1e-4, 0.1),
    "seed": (0, 2**31 - 1),
    "target_delay": (0, 32),
    "time_budget": (1.0, 120.0),
}

#: Held-out sequences used for the per-step accuracy (generated from their own seed).
HELD_OUT = 1000

#: Sample-epochs from which unrolling pays off. bench/training_speed.py on the 2-core machine:
#: 9400 vs 6400 samples/s (0.05 ms saved per sample) against ~2 s more tracing.
UNROLL_MIN_WORK = 40_000


class StopReason:
    """Why training ended (plain strings so results pickle and compare easily)."""

    FINISHED = "finished"
    STOPPED = "stopped"
    TIME_BUDGET = "time budget"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run.

    Attributes:
        task: key of a task in `bilstm_lab.core.tasks.TASKS`.
        params: the task's knobs (sequence length, k, vocabulary).
        samples: training sequences (a separate held-out set is generated too).
        cell: recurrent cell (``lstm``, ``gru``, ``rnn``).
        units: units per direction of every recurrent layer.
        layers: stacked recurrent layers.
        embedding_dim: width of the token embedding.
        epochs: passes over the training data.
        batch_size: sequences per training step.
        learning_rate: Adam's learning rate.
        seed: seeds the data, the shuffling and every initializer.
        target_delay: the unidirectional model answers label t at step t+d (per-step tasks).
        match_params: widen the unidirectional model to the bidirectional one's parameter count.
        time_budget: seconds of training after which the run stops on its own.
        unroll: unroll the recurrent layers in time (the lab's sequences are short, at most
            64 steps). On this 2-core CPU a step runs ~1.45x faster than with Keras's time
            loop (as fast as XLA), but tracing takes ~2 s longer. ``None`` (auto) unrolls only
            runs long enough to win that back (`UNROLL_MIN_WORK`).
        jit_compile: compile the shared training step with XLA (useful without unrolling;
            with unrolling it compiles for long and runs slower). See
            ``bench/training_speed.py`` for the measurements.
    """

    task: str = "look_ahead"
    params: TaskParams = field(default_factory=TaskParams)
    samples: int = 3000
    cell: str = "lstm"
    units: int = 32
    layers: int = 1
    embedding_dim: int = 16
    epochs: int = 5
    batch_size: int = 64
    learning_rate: float = 0.02
    seed: int = 0
    target_delay: int = 0
    match_params: bool = False
    time_budget: float = 60.0
    unroll: bool | None = None
    jit_compile: bool = False

    def __post_init__(self) -> None:
        get_task(self.task)
        if not isinstance(self.params, TaskParams):
            raise SpecError("params", f"params must be TaskParams, received {self.params!r}")
        for name, (low, high) in TRAIN_LIMITS.items():
            value = getattr(self, name)
            is_float = isinstance(low, float)
            good_type = (
                isinstance(value, (int, float)) if is_float else isinstance(value, int)
            ) and not isinstance(value, bool)
            if not good_type or (is_float and not math.isfinite(value)):
                kind = "a number" if is_float else "a whole number"
                raise SpecError(name, f"{name} must be {kind}, received {value!r}")
            if not low <= value <= high:
                raise SpecError(
                    name, f"{name} must be between {low:g} and {high:g}, received {value}"
                )
        if self.batch_size > self.samples:
            raise SpecError(
                "batch_size",
                f"batch_size must not exceed samples ({self.samples}), received {self.batch_size}",
            )
        if self.cell not in {c.value for c in Cell}:
            raise SpecError("cell", f"cell must be one of lstm, gru, rnn, received {self.cell!r}")
        for flag in ("match_params", "unroll", "jit_compile"):
            if not isinstance(getattr(self, flag), bool) and not (
                flag == "unroll" and self.unroll is None
            ):
                raise SpecError(
                    flag, f"{flag} must be true or false, received {getattr(self, flag)!r}"
                )
        task = get_task(self.task)
        if self.target_delay and not task.per_step:
            raise SpecError(
                "target_delay",
                "target_delay only applies to tasks with a label per step, "
                f"received {self.target_delay}",
            )
        if self.target_delay >= self.params.seq_len:
            raise SpecError(
                "target_delay",
                f"target_delay must be smaller than seq_len ({self.params.seq_len}), "
                f"received {self.target_delay}",
            )

    @property
    def use_unroll(self) -> bool:
        """Whether the recurrent layers are unrolled (resolves ``unroll=None``)."""
        if self.unroll is not None:
            return self.unroll
        return self.epochs * self.samples >= UNROLL_MIN_WORK

    @property
    def task_obj(self) -> Task:
        """The `Task` object."""
        return get_task(self.task)

    def with_changes(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields replaced."""
        return replace(self, **changes)


def model_spec(config: TrainConfig, units: int | None = None) -> ModelSpec:
    """The `ModelSpec` both variants are built from (token input, softmax head).

    Args:
        config: the run.
        units: units per layer, when not ``config.units`` (the parameter-matched LSTM).

    Returns:
        The spec; per-step tasks return sequences, sequence-level tasks do not.
    """
    task = config.task_obj
    width = config.units if units is None else units
    return ModelSpec(
        cell=Cell(config.cell),
        units=(width,) * config.layers,
        return_sequences=task.per_step,
        input=TokenInput(
            seq_len=config.params.seq_len,
            vocab=task.input_vocab(config.params),
            embedding_dim=config.embedding_dim,
        ),
        head=DenseHead(task.n_classes(config.params), "softmax"),
    )


def matched_units(config: TrainConfig) -> int:
    """Units of a unidirectional model whose parameter count is closest to the bidirectional one.

    Counts come from `bilstm_lab.core.analysis` (pure arithmetic, verified against Keras in tests).
    """
    target = analyze(model_spec(config), bidirectional=True).total_params
    best, best_gap = config.units, math.inf
    for units in range(config.units, 4 * config.units + 1):
        gap = abs(analyze(model_spec(config, units), bidirectional=False).total_params - target)
        if gap < best_gap:
            best, best_gap = units, gap
    return best


@dataclass(frozen=True)
class EpochRecord:
    """Metrics after one epoch (train metrics are running means over the epoch's batches)."""

    epoch: int
    loss_uni: float
    loss_bi: float
    acc_uni: float
    acc_bi: float
    val_acc_uni: float
    val_acc_bi: float
    seconds: float  # since the start of `train`, after this epoch's evaluation
    eval_seconds: float = 0.0  # this epoch's held-out evaluation (included in ``seconds``)


@dataclass(frozen=True)
class Progress:
    """What the callback receives: where training is, and the history so far."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    seconds: float
    loss_uni: float
    loss_bi: float
    history: tuple[EpochRecord, ...]

    @property
    def fraction(self) -> float:
        """Share of all batches done, 0..1."""
        return min(
            1.0, ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)
        )


@dataclass
class TrainResult:
    """Everything the page shows after a run (numpy arrays; the models ride along).

    Per-step arrays are ``(T,)`` and indexed by the *label's* time step; NaN where there is no
    label (or, for a delayed unidirectional model, where its answer would fall past the end).
    """

    config: TrainConfig
    history: list[EpochRecord]
    reason: str
    seconds: float
    samples_seen: int
    params_uni: int
    params_bi: int
    units_uni: int
    chance: float
    ceiling: np.ndarray | None
    step_acc_uni: np.ndarray | None
    step_acc_bi: np.ndarray | None
    acc_uni: float
    acc_bi: float
    sample: Batch
    pred_uni: np.ndarray
    pred_bi: np.ndarray
    hidden_forward: np.ndarray  # (T, units) forward direction of the last BiLSTM layer
    hidden_backward: np.ndarray  # (T, units) backward direction, aligned to input time
    hidden_uni: np.ndarray  # (T, units_uni) the unidirectional model's last layer
    eval_seconds: float = 0.0  # of ``seconds``, spent on the per-epoch held-out evaluation
    uni_model: Any = field(repr=False, default=None)
    bi_model: Any = field(repr=False, default=None)

    @property
    def epochs_done(self) -> int:
        """Completed epochs."""
        return len(self.history)


ProgressCallback = Callable[[Progress], None]


def delay_targets(y: np.ndarray, mask: np.ndarray, delay: int) -> tuple[np.ndarray, np.ndarray]:
    """Shift per-step targets ``delay`` steps later: output t+d is scored on label t.

    Args:
        y: labels ``(n, T)``.
        mask: ``(n, T)``, 1 where a label exists.
        delay: steps of delay ``d``.

    Returns:
        ``(y_delayed, mask_delayed)``, both ``(n, T)``; the first ``d`` outputs are unscored,
        and labels whose answer would fall past the end are dropped.
    """
    if delay == 0:
        return y, mask
    y_d, m_d = np.zeros_like(y), np.zeros_like(mask)
    y_d[:, delay:] = y[:, :-delay]
    m_d[:, delay:] = mask[:, :-delay]
    return y_d, m_d


def _step_accuracy(pred: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-step accuracy over the sequences that have a label there, ``(T,)`` (NaN if none)."""
    weights = mask.astype(np.float64)
    hits = ((pred == y) * weights).sum(axis=0)
    counts = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)


def _overall_accuracy(pred: np.ndarray, y: np.ndarray, mask: np.ndarray | None) -> float:
    if mask is None:
        return float((pred == y).mean())
    weights = mask.astype(np.float64)  # float32 sums drift in the 8th digit
    return float(((pred == y) * weights).sum() / max(weights.sum(), 1.0))


def _undelay(values: np.ndarray, delay: int) -> np.ndarray:
    """Map a per-output-step array ``(..., T)`` back to label time (output t+d -> label t)."""
    if delay == 0:
        return values
    out = np.full(values.shape, np.nan if values.dtype.kind == "f" else -1, dtype=values.dtype)
    out[..., :-delay] = values[..., delay:]
    return out


def _run_sequence_copy(layer: keras.layers.Layer, inputs: Any) -> np.ndarray:
    """Run a copy of a recurrent layer that returns every step (same weights) on ``inputs``.

    The trained layer may return only its last step (sequence-level tasks); the copy shows
    the hidden state at every step. Returns ``(T, units)`` for the first sequence.
    """
    config = {**layer.get_config(), "return_sequences": True, "return_state": False}
    config["name"] = f"{config['name']}_probe"
    copy = type(layer).from_config(config)
    copy.build(tuple(inputs.shape))
    copy.set_weights(layer.get_weights())
    return np.asarray(copy(inputs))[0]


def _hidden_states(
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
    task = config.task_obj
    train_set = task.generate(config.params, config.samples, config.seed)
    held_out = task.generate(config.params, HELD_OUT, config.seed + 1_000_003)
    delay = config.target_delay
    y_uni, m_uni = (
        delay_targets(train_set.y, train_set.mask, delay)
        if task.per_step
        else (
            train_set.y,
            train_set.mask,
        )
    )
    trainer = _Trainer(config)
    rng = np.random.default_rng(config.seed)
    batches = config.samples // config.batch_size  # drop the ragged tail: one compiled shape
    report_every = max(1, batches // 8)
    history: list[EpochRecord] = []
    reason = StopReason.FINISHED
    started = time.perf_counter()
    samples_seen = 0
    eval_seconds = 0.0
    data = tuple(
        tf.constant(part) for part in (train_set.x, y_uni, m_uni, train_set.y, train_set.mask)
    )  # each (samples, T) (y is (samples,) for sequence-level tasks)

    def evaluate() -> tuple[np.ndarray, np.ndarray]:
        pred_uni, pred_bi = trainer.predict(held_out.x)
        return pred_uni, pred_bi

    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(config.samples)
        sums = np.zeros(4)
        pending: list[tf.Tensor] = []
        done = 0
        for index in range(batches):
            if should_stop is not None and should_stop():
                reason = StopReason.STOPPED
                break
            if time.perf_counter() - started > config.time_budget:
                reason = StopReason.TIME_BUDGET
                break
            rows = order[index * config.batch_size : (index + 1) * config.batch_size]
            # Metrics stay tensors until a report: reading them every step would sync.
            pending.append(trainer.train_step(data, tf.constant(rows, dtype=tf.int32)))
            done += 1
            samples_seen += len(rows)
            if on_progress is not None and (index + 1) % report_every == 0:
                sums += tf.add_n(pending).numpy()
                pending.clear()
                on_progress(
                    Progress(
                        epoch,
                        config.epochs,
                        index + 1,
                        batches,
                        time.perf_counter() - started,
                        sums[0] / done,
                        sums[1] / done,
                        tuple(history),
                    )
                )
        if pending:
            sums += tf.add_n(pending).numpy()
            pending.clear()
        if done:
            eval_started = time.perf_counter()
            pred_uni, pred_bi = evaluate()
            epoch_eval = time.perf_counter() - eval_started
            eval_seconds += epoch_eval
            pred_uni = _undelay(pred_uni, delay) if task.per_step else pred_uni
            mask = held_out.mask if task.per_step else None
            mean = sums / done
            history.append(
                EpochRecord(
                    epoch,
                    mean[0],
                    mean[1],
                    mean[2],
                    mean[3],
                    _overall_accuracy(pred_uni, held_out.y, _delayed_mask(mask, delay)),
                    _overall_accuracy(pred_bi, held_out.y, mask),
                    time.perf_counter() - started,
                    epoch_eval,
                )
            )
            if on_progress is not None:
                on_progress(
                    Progress(
                        epoch,
                        config.epochs,
                        done,
                        batches,
                        time.perf_counter() - started,
                        mean[0],
                        mean[1],
                        tuple(history),
                    )
                )
        if reason != StopReason.FINISHED:
            break
    seconds = time.perf_counter() - started
    result = _finish(config, trainer, held_out, history, reason, seconds, samples_seen)
    result.eval_seconds = eval_seconds
    return result


def _delayed_mask(mask: np.ndarray | None, delay: int) -> np.ndarray | None:
    """The held-out mask restricted to labels a d-late model can still answer."""
    if mask is None or delay == 0:
        return mask
    out = mask.copy()
    out[:, mask.shape[1] - delay :] = 0.0
    return out


def _finish(
    config: TrainConfig,
    trainer: _Trainer,
    held_out: Batch,
    history: list[EpochRecord],
    reason: str,
    seconds: float,
    samples_seen: int,
) -> TrainResult:
    task = config.task_obj
    delay = config.target_delay
    pred_uni, pred_bi = trainer.predict(held_out.x)
    if task.per_step:
        pred_uni = _undelay(pred_uni, delay)
        mask_uni = _delayed_mask(held_out.mask, delay)
        assert mask_uni is not None
        step_uni: np.ndarray | None = _step_accuracy(pred_uni, held_out.y, mask_uni)
        step_bi: np.ndarray | None = _step_accuracy(pred_bi, held_out.y, held_out.mask)
        acc_uni = _overall_accuracy(pred_uni, held_out.y, mask_uni)
        acc_bi = _overall_accuracy(pred_bi, held_out.y, held_out.mask)
    else:
        step_uni = step_bi = None
        acc_uni = _overall_accuracy(pred_uni, held_out.y, None)
        acc_bi = _overall_accuracy(pred_bi, held_out.y, None)
    sample = Batch(held_out.x[:1], held_out.y[:1], held_out.mask[:1])
    forward, backward = _hidden_states(trainer.bi, trainer.spec_bi, True, sample.x)
    hidden_uni, _ = _hidden_states(trainer.uni, trainer.spec_uni, False, sample.x)
    assert backward is not None
    return TrainResult(
        config=config,
        history=history,
        reason=reason,
        seconds=seconds,
        samples_seen=samples_seen,
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
        uni_model=trainer.uni,
        bi_model=trainer.bi,
    )


def variant_names(config: TrainConfig) -> tuple[str, str]:
    """Display names ``(bidirectional, unidirectional)``, e.g. ``("BiLSTM", "LSTM")``."""
    keras_name = Cell(config.cell).keras_name
    return f"Bi{keras_name}", keras_name


def verdict(result: TrainResult) -> list[str]:
    """A few plain-words sentences computed from the result (not canned per task).

    Args:
        result: a finished (or stopped) run.

    Returns:
        Sentences for the page, most important first.
    """
    task = result.config.task_obj
    lines: list[str] = []
    gap = result.acc_bi - result.acc_uni
    names = variant_names(result.config)
    lines.append(
        f"Held-out accuracy: {names[0]} {result.acc_bi:.0%}, {names[1]} {result.acc_uni:.0%} "
        f"(chance {result.chance:.0%})."
    )
    if result.step_acc_uni is not None and result.ceiling is not None:
        ceiling = result.ceiling
        valid = ~np.isnan(ceiling) & ~np.isnan(result.step_acc_uni)
        future = valid & (ceiling < 0.999)
        if future.any():
            steps = np.flatnonzero(future)
            uni_there = float(np.nanmean(result.step_acc_uni[future]))
            bi_there = (
                float(np.nanmean(result.step_acc_bi[future]))
                if result.step_acc_bi is not None
                else float("nan")
            )
            ceil_there = float(ceiling[future].mean())
            lines.append(
                f"On the {len(steps)} steps whose answer lies (partly) in the future "
                f"(t = {_ranges(steps)}), the {names[1]} averages {uni_there:.0%} against a best "
                f"possible {ceil_there:.0%} for any model that reads left to right; the "
                f"{names[0]} averages {bi_there:.0%} there."
            )
        past = valid & (ceiling >= 0.999)
        if past.any():
            lines.append(
                f"Where the answer is already in the past ({int(past.sum())} steps), the {names[1]} "
                f"averages {float(np.nanmean(result.step_acc_uni[past])):.0%}."
            )
    if gap > 0.1:
        lines.append(
            f"The {names[0]} wins by {gap * 100:.0f} points: its backward direction has already read "
            "the rest of the sequence when it answers."
        )
    elif gap < -0.1:
        lines.append(
            f"The {names[1]} is ahead by {-gap * 100:.0f} points — train longer or check the settings."
        )
    elif task.needs_future and result.acc_bi < 0.9:
        lines.append(
            f"Neither variant has learned the task yet ({names[0]} {result.acc_bi:.0%}): "
            "train for more epochs, with more samples or a larger model."
        )
    else:
        lines.append(
            "Both variants score about the same: on this task the future adds nothing the past "
            "does not already give."
        )
    if result.config.target_delay:
        lines.append(
            f"With a target delay of {result.config.target_delay}, the {names[1]} answers "
            f"{result.config.target_delay} steps late — it may read that far ahead, at the cost of latency."
        )
    if task.key == "next_token" and result.acc_bi > result.acc_uni + 0.1:
        lines.append(
            "Warning — leakage: the bidirectional score is not a real skill. The backward direction "
            "reads the very token it is asked to predict; when generating text that token does not "
            "exist yet."
        )
    if result.reason != StopReason.FINISHED:
        lines.append(f"Training ended early ({result.reason}) after {result.epochs_done} epoch(s).")
    return lines


def _ranges(steps: np.ndarray) -> str:
    """``[0,1,2,5]`` -> ``"0–2, 5"``."""
    parts: list[str] = []
    start = prev = int(steps[0])
    for step in [int(s) for s in steps[1:]] + [None]:
        if step is not None and step == prev + 1:
            prev = step
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if step is not None:
            start = prev = step
    return ", ".join(parts)
