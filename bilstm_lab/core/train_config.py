"""What decides a training run, validated without TensorFlow.

The Streamlit server validates a run here (pure Python) before it hands it to a worker process;
the worker's `bilstm_lab.training.loop` trains it. Every size is capped here, on the server side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from bilstm_lab.core.analysis import analyze
from bilstm_lab.core.errors import TaskError, check_number
from bilstm_lab.core.spec import Cell, DenseHead, ModelSpec, TokenInput
from bilstm_lab.core.tasks import TASK_LIMITS, Task, TaskParams, get_task

#: Inclusive bounds of the training knobs (server side: the page's widgets are not trusted).
TRAIN_LIMITS: dict[str, tuple[float, float]] = {
    "samples": (64, TASK_LIMITS["samples"][1]),
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

#: The time budget of a run started from the Training Lab page (seconds; the CLI keeps
#: `TrainConfig.time_budget`). Two workers serve a whole class: at 20 s a run at the page's
#: largest settings holds a worker ~25 s (with building and evaluation), so a student behind
#: four such runs waits under a minute, not the two minutes that 60 s budgets gave. The
#: default settings finish in ~4 s, far inside it.
PAGE_TIME_BUDGET = 20.0

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
            raise TaskError("params", f"params must be TaskParams, received {self.params!r}")
        for name, (low, high) in TRAIN_LIMITS.items():
            check_number(name, getattr(self, name), low, high, error=TaskError)
        if self.batch_size > self.samples:
            raise TaskError(
                "batch_size",
                f"batch_size must not exceed samples ({self.samples}), received {self.batch_size}",
            )
        if self.cell not in {c.value for c in Cell}:
            raise TaskError("cell", f"cell must be one of lstm, gru, rnn, received {self.cell!r}")
        for flag in ("match_params", "unroll", "jit_compile"):
            if not isinstance(getattr(self, flag), bool) and not (
                flag == "unroll" and self.unroll is None
            ):
                raise TaskError(
                    flag, f"{flag} must be true or false, received {getattr(self, flag)!r}"
                )
        task = get_task(self.task)
        if self.target_delay and not task.per_step:
            raise TaskError(
                "target_delay",
                "target_delay only applies to tasks with a label per step, "
                f"received {self.target_delay}",
            )
        if self.target_delay >= self.params.seq_len:
            raise TaskError(
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


def _lesson(
    task: str,
    params: TaskParams,
    samples: int,
    epochs: int,
    learning_rate: float,
    batch_size: int = 32,
) -> TrainConfig:
    return TrainConfig(
        task=task,
        params=params,
        samples=samples,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        units=32,
        embedding_dim=16,
    )


#: Each task's starting settings: what the Training Lab, its URL and ``bilstm_lab train`` use
#: until a knob is changed. Chosen so the task's lesson shows on the first Train within about
#: 10 s on a 2-core machine (a task that needs the future: BiLSTM >= 85% and 15 points ahead;
#: a past-only task: both >= 80% and within 10 points; the leak: a lead shown as a warning).
#: ``tests/test_cli_train.py`` trains every one of them and checks its lesson.
TASK_DEFAULTS: dict[str, TrainConfig] = {
    "look_ahead": _lesson("look_ahead", TaskParams(seq_len=12, k=3, vocab=8), 2000, 5, 0.02),
    "look_behind": _lesson("look_behind", TaskParams(seq_len=12, k=3, vocab=8), 2000, 5, 0.02),
    "reversal": _lesson("reversal", TaskParams(seq_len=6, k=1, vocab=4), 1500, 8, 0.03),
    "late_negation": _lesson("late_negation", TaskParams(seq_len=10, k=1, vocab=8), 1000, 5, 0.02),
    "marker_later": _lesson("marker_later", TaskParams(seq_len=10, k=1, vocab=8), 1000, 5, 0.02),
    "first_token": _lesson("first_token", TaskParams(seq_len=10, k=1, vocab=8), 1000, 8, 0.02),
    "next_token": _lesson("next_token", TaskParams(seq_len=10, k=1, vocab=8), 1000, 5, 0.02),
}


def default_config(task: str) -> TrainConfig:
    """The starting settings of ``task`` (`TASK_DEFAULTS`).

    Raises:
        TaskError: for an unknown task, naming the field ``task``.
    """
    get_task(task)
    return TASK_DEFAULTS[task]
