"""What a training run reports: per-epoch records, live progress and the final result.

Plain data (numbers and numpy arrays) so it crosses from a worker process to the Streamlit
server by pickling, and so the server can show it without importing TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bilstm_lab.core.connectivity import Connectivity
from bilstm_lab.core.tasks import Batch
from bilstm_lab.core.train_config import TrainConfig

#: A per-step ceiling at or above this means the unidirectional model has read the answer.
ANSWER_READ = 0.999


@dataclass(frozen=True)
class StepScores:
    """Held-out accuracy of both variants at each label step, and what bounds the LSTM's.

    All arrays are ``(T,)``, indexed by the label's time step, NaN where nothing is scored.

    Attributes:
        uni: the unidirectional model's accuracy (NaN where a delayed answer falls past the end).
        bi: the bidirectional model's accuracy.
        ceiling: the best any unidirectional model answering as late as this one can do.
        chance: accuracy of always answering the most frequent class.
    """

    uni: np.ndarray
    bi: np.ndarray
    ceiling: np.ndarray
    chance: float

    @property
    def unread(self) -> np.ndarray:
        """``(T,)`` bool: scored steps whose answer the unidirectional model has not read yet."""
        with np.errstate(invalid="ignore"):
            return ~np.isnan(self.ceiling) & (self.ceiling < ANSWER_READ)

    @property
    def read(self) -> np.ndarray:
        """``(T,)`` bool: scored steps whose answer the unidirectional model has already read."""
        with np.errstate(invalid="ignore"):
            return ~np.isnan(self.ceiling) & (self.ceiling >= ANSWER_READ)


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
    steps: StepScores | None = None  # per-step accuracy at the last evaluation (per-step tasks)

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
    connectivity: Connectivity | None = None  # gradient-norm maps per direction (after training)
    uni_model: Any = field(repr=False, default=None)
    bi_model: Any = field(repr=False, default=None)

    @property
    def epochs_done(self) -> int:
        """Completed epochs."""
        return len(self.history)

    @property
    def step_scores(self) -> StepScores | None:
        """The per-step accuracies with their ceiling; ``None`` for sequence-level tasks."""
        if self.step_acc_uni is None or self.step_acc_bi is None or self.ceiling is None:
            return None
        return StepScores(self.step_acc_uni, self.step_acc_bi, self.ceiling, self.chance)


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page draws while a run trains: the last progress, the loss curve so far and
    the latest per-step accuracy (``None`` until the first evaluation, and for sequence-level
    tasks)."""

    progress: Progress
    points: tuple[tuple[float, float, float], ...]  # (epoch position, loss uni, loss bi)
    steps: StepScores | None = None


@dataclass
class LiveCurve:
    """Accumulates progress reports into snapshots (in the worker, which sends each one)."""

    points: list[tuple[float, float, float]] = field(default_factory=list)
    steps: StepScores | None = None

    def add(self, progress: Progress) -> LiveSnapshot:
        """Record one progress report; return the snapshot to send."""
        if progress.batch:  # the report before the first batch has no loss yet
            position = progress.epoch - 1 + progress.batch / progress.batches
            self.points.append((position, progress.loss_uni, progress.loss_bi))
        self.steps = progress.steps or self.steps
        return LiveSnapshot(progress, tuple(self.points), self.steps)
