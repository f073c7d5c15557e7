"""How a training run came out, as numbers and one category: what the verdict is computed from.

`assess` decides the outcome from the held-out accuracies, the task's rule (does it leak?) and
the best accuracy the unidirectional model *could* reach (its causal ceiling, which knows about
a target delay). Deciding in one place, in a fixed order, is what keeps the verdict from
contradicting itself: a run has exactly one outcome, and `bilstm_lab.core.explain.verdict`
words that outcome. Pure Python and numpy: no sentences here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bilstm_lab.core.results import StepScores, TrainResult
from bilstm_lab.core.tasks import Task

#: A lead larger than this (10 points) is a real difference, not noise of 1,000 held-out
#: sequences or an unfinished run.
MARGIN = 0.10
#: A model scoring at least this has learned the task (when it could score more).
LEARNED = 0.80
#: How far below its best possible a model may be and still count as having reached it.
NOISE = 0.02
#: A score this far above its ceiling is no longer noise around it but a lucky sample.
LUCKY = 0.05


class Outcome(StrEnum):
    """What a run shows; each has one verdict."""

    FUTURE_WINS = "future wins"  # the BiLSTM reads answers that lie ahead of the LSTM
    LEAKAGE = "leakage"  # the BiLSTM's lead comes from reading the very answer
    DELAY_CATCHES_UP = "delay catches up"  # answering late, the LSTM reads what it needs
    BOTH_SOLVE = "both solve"  # the answers lie in the past: the future adds nothing
    NEITHER_LEARNED = "neither learned"  # neither model has learned yet
    BI_LEARNING = "bidirectional still learning"  # the BiLSTM could do better: train longer
    UNI_LEARNING = "unidirectional still learning"  # the LSTM could do better: train longer
    UNI_AHEAD = "unidirectional ahead"  # the LSTM leads: the BiLSTM has not learned yet


class Tone(StrEnum):
    """How the page frames a verdict: a success box, a warning box, or plain information."""

    SUCCESS = "success"
    WARNING = "warning"
    INFO = "info"


#: The frame of each outcome. A leak is never a success: its win is not a skill.
TONES: dict[Outcome, Tone] = {
    Outcome.FUTURE_WINS: Tone.SUCCESS,
    Outcome.LEAKAGE: Tone.WARNING,
    Outcome.DELAY_CATCHES_UP: Tone.SUCCESS,
    Outcome.BOTH_SOLVE: Tone.SUCCESS,
    Outcome.NEITHER_LEARNED: Tone.INFO,
    Outcome.BI_LEARNING: Tone.INFO,
    Outcome.UNI_LEARNING: Tone.INFO,
    Outcome.UNI_AHEAD: Tone.INFO,
}


def best_possible(ceiling: np.ndarray | list[float | None] | None) -> float:
    """The unidirectional model's best possible overall accuracy.

    Args:
        ceiling: its per-step ceiling (NaN or ``None`` where nothing is scored), or ``None``
            for a sequence-level task, where it reads the whole sequence before answering.

    Returns:
        The mean ceiling over the scored steps (every label step holds as many labels, in
        expectation), or 1.0 without a ceiling.
    """
    if ceiling is None:
        return 1.0
    values = np.array([np.nan if v is None else v for v in ceiling], dtype=float)
    return float(np.nanmean(values))


def assess(task: Task, acc_uni: float, acc_bi: float, best_uni: float, delay: int = 0) -> Outcome:
    """The one outcome of a run, decided in a fixed order so no two verdicts can both apply.

    Args:
        task: the task trained (its rule: does it need the future, does it leak).
        acc_uni: the unidirectional model's held-out accuracy.
        acc_bi: the bidirectional model's held-out accuracy.
        best_uni: the unidirectional model's best possible accuracy (`best_possible`).
        delay: the unidirectional model's target delay.

    Returns:
        The outcome.
    """
    gap = acc_bi - acc_uni
    if task.leaks and gap > MARGIN:
        return Outcome.LEAKAGE
    bi_learned = acc_bi >= LEARNED
    uni_learned = acc_uni >= min(best_uni, LEARNED) - NOISE
    # Some answers lie beyond what the LSTM has read: the BiLSTM should pull ahead there.
    blind = best_uni < 1.0 - NOISE
    if not bi_learned and not uni_learned:
        return Outcome.NEITHER_LEARNED
    if gap < -MARGIN:
        return Outcome.UNI_AHEAD
    if not bi_learned or (blind and gap <= MARGIN):
        return Outcome.BI_LEARNING
    if gap > MARGIN:
        return Outcome.FUTURE_WINS if blind else Outcome.UNI_LEARNING
    if delay and task.needs_future:
        return Outcome.DELAY_CATCHES_UP
    return Outcome.BOTH_SOLVE


@dataclass(frozen=True)
class StepGroup:
    """Mean held-out accuracies over a group of label steps.

    Attributes:
        steps: the steps, ascending.
        uni: the unidirectional model's mean accuracy there.
        bi: the bidirectional model's mean accuracy there.
        best: the unidirectional model's mean ceiling there.
    """

    steps: tuple[int, ...]
    uni: float
    bi: float
    best: float

    @property
    def at_best(self) -> bool:
        """Whether the unidirectional model is at its ceiling here (within sampling noise)."""
        return self.uni >= self.best - NOISE


def step_group(scores: StepScores, where: np.ndarray) -> StepGroup | None:
    """The mean accuracies over the steps ``where`` marks that both models were scored on."""
    chosen = where & ~np.isnan(scores.uni) & ~np.isnan(scores.bi)
    if not chosen.any():
        return None
    return StepGroup(
        steps=tuple(int(t) for t in np.flatnonzero(chosen)),
        uni=float(np.mean(scores.uni[chosen])),
        bi=float(np.mean(scores.bi[chosen])),
        best=float(np.mean(scores.ceiling[chosen])),
    )


@dataclass(frozen=True)
class Assessment:
    """Everything the verdict says, as numbers.

    Attributes:
        outcome: the run's one outcome.
        tone: how to frame it.
        gap: bidirectional minus unidirectional accuracy.
        best_uni: the unidirectional model's best possible accuracy.
        unread: the steps whose answer the unidirectional model has not read when it answers.
        read: the steps whose answer it has already read.
    """

    outcome: Outcome
    tone: Tone
    gap: float
    best_uni: float
    unread: StepGroup | None
    read: StepGroup | None


def assessment(result: TrainResult) -> Assessment:
    """Assess a finished (or stopped) run."""
    config = result.config
    best_uni = best_possible(result.ceiling)
    outcome = assess(config.task_obj, result.acc_uni, result.acc_bi, best_uni, config.target_delay)
    scores = result.step_scores
    return Assessment(
        outcome=outcome,
        tone=TONES[outcome],
        gap=result.acc_bi - result.acc_uni,
        best_uni=best_uni,
        unread=step_group(scores, scores.unread) if scores else None,
        read=step_group(scores, scores.read) if scores else None,
    )
