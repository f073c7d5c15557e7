"""The verdict: one outcome per run, worded without contradiction, rounded as the tiles round.

Runs are built from numbers here (no training): each case is a result a real run produced in
issue 11 — the delay case, the leak, the rounding slip and the run that had not learned yet.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bilstm_lab.core.explain import Verdict, verdict
from bilstm_lab.core.formatting import accuracy, points
from bilstm_lab.core.results import TrainResult
from bilstm_lab.core.tasks import Batch, TaskParams, get_task
from bilstm_lab.core.train_config import StopReason, TrainConfig
from bilstm_lab.core.verdict import TONES, Outcome, Tone, assess, assessment, best_possible

SHORT = TaskParams(seq_len=8, k=3, vocab=8)


def _result(
    task: str,
    acc_uni: float,
    acc_bi: float,
    params: TaskParams = SHORT,
    delay: int = 0,
    step_uni: float | None = None,
    step_bi: float | None = None,
    reason: str = StopReason.FINISHED,
) -> TrainResult:
    """A run with these accuracies; per-step accuracies flat at the overall ones unless given."""
    config = TrainConfig(task=task, params=params, target_delay=delay)
    task_obj = config.task_obj
    ceiling = task_obj.causal_ceiling(params, delay)
    per_step = task_obj.per_step

    def steps(value: float) -> np.ndarray | None:
        if not per_step or ceiling is None:
            return None
        return np.where(np.isnan(ceiling), np.nan, value)

    t_len = params.seq_len
    zeros = np.zeros((1, t_len), np.int32)
    return TrainResult(
        config=config,
        history=[],
        reason=reason,
        seconds=4.2,
        samples_seen=0,
        params_uni=100,
        params_bi=200,
        units_uni=config.units,
        chance=task_obj.chance(params),
        ceiling=ceiling,
        step_acc_uni=steps(acc_uni if step_uni is None else step_uni),
        step_acc_bi=steps(acc_bi if step_bi is None else step_bi),
        acc_uni=acc_uni,
        acc_bi=acc_bi,
        sample=Batch(zeros, zeros, np.ones((1, t_len), np.float32)),
        pred_uni=zeros,
        pred_bi=zeros,
        hidden_forward=np.zeros((t_len, 2)),
        hidden_backward=np.zeros((t_len, 2)),
        hidden_uni=np.zeros((t_len, 2)),
    )


def _text(judged: Verdict) -> str:
    return " ".join(judged.lines)


# --- the four cases of the issue ----------------------------------------------------------------


def test_delay_that_reads_the_answer_is_a_catch_up_not_a_tie_nor_a_ceiling_breach() -> None:
    # Look-ahead, k=3, target delay d=3: the LSTM waited long enough to read every answer.
    result = _result("look_ahead", acc_uni=0.998, acc_bi=1.0, delay=3)
    judged = verdict(result)
    text = _text(judged)
    assert assessment(result).outcome is Outcome.DELAY_CATCHES_UP
    assert judged.tone is Tone.SUCCESS
    assert "3 steps late" in text and "latency" in text
    # Its best possible is 100%, not the 12.5% of a model answering at once...
    assert best_possible(result.ceiling) == 1.0
    assert "12.5%" not in text
    # ...and the future is not declared useless.
    assert "adds nothing" not in text and "about the same" not in text


def test_a_delay_too_short_still_leaves_the_answers_ahead() -> None:
    result = _result("look_ahead", acc_uni=0.126, acc_bi=1.0, delay=2)
    judged = verdict(result)
    text = _text(judged)
    assert assessment(result).outcome is Outcome.FUTURE_WINS
    assert "Answer more than 2 steps ahead (t = 0–4)" in text
    assert "With a target delay of 2" in text


def test_leakage_is_a_warning_and_never_a_win() -> None:
    params = TaskParams(seq_len=10, k=1, vocab=8)
    result = _result("next_token", acc_uni=0.563, acc_bi=1.0, params=params)
    judged = verdict(result)
    text = _text(judged)
    assert assessment(result).outcome is Outcome.LEAKAGE
    assert judged.tone is Tone.WARNING
    assert judged.lines[0].startswith("Leakage, not skill")
    assert "43.7 points" in text
    assert "wins by" not in text


def test_rounding_matches_the_tiles_and_the_lstm_never_beats_its_best() -> None:
    # Tiles say LSTM 12.5%, chance 12.5%; the verdict must say the same figures.
    result = _result("look_ahead", acc_uni=0.1254, acc_bi=0.999)
    text = _text(verdict(result))
    assert accuracy(result.acc_uni) == "12.5%" and "12.5%" in text
    assert "13%" not in text and "12%" not in text
    # A measured score a little above the ceiling is worded as the ceiling plus noise.
    above = _text(verdict(_result("look_ahead", acc_uni=0.131, acc_bi=0.999)))
    assert "13.1%" in above and "up to sampling noise" in above
    assert "the best possible reading left to right is" not in above
    # Points are the difference of the shown percentages: 97.9% - 60.2% = 37.7.
    assert points(0.97949, 0.60151) == "37.7"


def test_neither_learned_yet() -> None:
    # Reversal at its old defaults: BiLSTM 29%, LSTM 22%.
    params = TaskParams(seq_len=16, k=3, vocab=8)
    result = _result("reversal", acc_uni=0.22, acc_bi=0.29, params=params)
    judged = verdict(result)
    text = _text(judged)
    assert assessment(result).outcome is Outcome.NEITHER_LEARNED
    assert judged.tone is Tone.INFO
    assert judged.lines[0].startswith("Neither variant has learned the task yet")
    assert "BiLSTM 29.0%" in text and "LSTM 22.0%" in text
    assert "wins by" not in text and "about the same" not in text


# --- the other outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "acc_uni", "acc_bi", "outcome"),
    [
        ("look_ahead", 0.125, 0.999, Outcome.FUTURE_WINS),
        ("look_behind", 0.99, 1.0, Outcome.BOTH_SOLVE),
        ("first_token", 0.5, 1.0, Outcome.UNI_LEARNING),  # answer in the past: not the future
        ("look_behind", 0.95, 0.6, Outcome.UNI_AHEAD),
        ("look_ahead", 0.125, 0.6, Outcome.BI_LEARNING),
        ("marker_later", 0.78, 0.85, Outcome.BI_LEARNING),  # ahead, but not yet by the margin
        ("next_token", 0.55, 0.6, Outcome.BI_LEARNING),  # a leak not yet learned is no leak
    ],
)
def test_each_outcome(task: str, acc_uni: float, acc_bi: float, outcome: Outcome) -> None:
    params = TaskParams(seq_len=8, k=3, vocab=8)
    result = _result(task, acc_uni, acc_bi, params)
    assert assessment(result).outcome is outcome
    assert verdict(result).tone is TONES[outcome]


def test_a_leak_is_never_framed_as_a_success() -> None:
    assert TONES[Outcome.LEAKAGE] is Tone.WARNING
    assert set(TONES) == set(Outcome)


def test_the_page_names_follow_the_cell() -> None:
    result = _result("look_ahead", acc_uni=0.125, acc_bi=0.999)
    result.config = result.config.with_changes(cell="gru")
    gru = verdict(result)
    assert "The BiGRU wins by" in gru.lines[0] and "LSTM" not in _text(gru)


def test_a_stopped_run_says_so() -> None:
    result = _result("look_ahead", 0.125, 0.999, reason=StopReason.STOPPED)
    assert "Training ended early (stopped)" in verdict(result).lines[-1]


# --- never a contradiction ----------------------------------------------------------------------

#: Phrases of different outcomes: no verdict may hold two of them.
_EXCLUSIVE = ("wins by", "Leakage", "keeps up", "about the same", "Neither", "has not learned")


@pytest.mark.parametrize("task", ["look_ahead", "look_behind", "reversal", "next_token"])
@pytest.mark.parametrize("delay", [0, 1, 3])
def test_no_verdict_contradicts_itself(task: str, delay: int) -> None:
    grid = (0.1, 0.125, 0.3, 0.62, 0.8, 0.9, 1.0)
    params = TaskParams(seq_len=8, k=3, vocab=8)
    for acc_uni, acc_bi in itertools.product(grid, grid):
        result = _result(task, acc_uni, acc_bi, params, delay=delay)
        text = _text(verdict(result))
        found = [phrase for phrase in _EXCLUSIVE if phrase in text]
        assert len(found) <= 1 or found == ["Neither", "has not learned"], (acc_uni, acc_bi, text)
        if "about the same" in text or "adds nothing" in text:
            assert best_possible(result.ceiling) > 0.97, text  # only when the past suffices


def test_assess_works_from_the_cli_json_numbers() -> None:
    # ``train --json`` gives the ceiling as a list with nulls: the same outcome follows.
    ceiling = [0.25, 0.25, 0.25, 1.0, 1.0, 1.0]
    task = get_task("reversal")
    assert best_possible(ceiling) == pytest.approx(0.625)
    assert assess(task, 0.62, 0.99, best_possible(ceiling)) is Outcome.FUTURE_WINS
    assert best_possible([None, 0.5, None, 1.0]) == pytest.approx(0.75)
