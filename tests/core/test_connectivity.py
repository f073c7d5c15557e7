"""The numbers read from connectivity maps, and the sentence that follows them (pure)."""

from __future__ import annotations

import numpy as np

from bilstm_lab.core import explain
from bilstm_lab.core.connectivity import Connectivity, Peak, future_share, peak, reading

NAMES = ("BiLSTM", "LSTM")
T = 6


def _band(offset: int, strong: float = 3.0) -> np.ndarray:
    """A causal-looking map whose rows peak at s = t + offset where that step exists."""
    matrix = np.tril(np.full((T, T), 0.5)) if offset <= 0 else np.triu(np.full((T, T), 0.5))
    for t in range(T):
        if 0 <= t + offset < T:
            matrix[t, t + offset] = strong
    return matrix


def _maps(backward: np.ndarray) -> Connectivity:
    return Connectivity(_band(0), _band(0), backward, sequences=16)


def test_future_share_counts_only_cells_above_the_diagonal() -> None:
    assert future_share(np.tril(np.ones((T, T)))) == 0.0
    matrix = np.zeros((T, T))
    matrix[1, 3], matrix[2, 2] = 3.0, 1.0
    assert future_share(matrix) == 0.75
    assert np.isnan(future_share(np.zeros((T, T))))


def test_peak_is_the_most_frequent_offset_over_the_rows_asked() -> None:
    assert peak(_band(2)) == Peak(offset=2, rows=4, of=6)  # rows 4, 5 have no t+2: peak at t
    inside = np.arange(T) + 2 < T
    assert peak(_band(2), inside) == Peak(offset=2, rows=4, of=4)
    assert peak(np.zeros((T, T))) is None


def test_look_ahead_reading_follows_the_numbers() -> None:
    numbers = reading(_maps(_band(3)), "look_ahead", 3)
    assert numbers.future[:2] == (0.0, 0.0) and numbers.future[2] > 0.5
    assert (numbers.answer_map, numbers.answer_offset) == ("backward", 3)
    assert numbers.answer_peak == Peak(3, 3, 3)
    line = explain.connectivity_reading(numbers, NAMES)
    share = f"{numbers.future[2]:.0%}"
    assert line.startswith(
        f"Weight on later inputs (s > t): LSTM none, BiLSTM forward none, BiLSTM backward {share}"
        " — only the BiLSTM's backward direction brings the future in."
    )
    assert (
        "In the BiLSTM's backward direction, the strongest input sits at s = t+3, where the "
        "answer lies, in 3 of 3 steps." in line
    )
    # A backward direction that peaks one step ahead is read as such, not as the answer.
    missed = explain.connectivity_reading(reading(_maps(_band(1)), "look_ahead", 3), NAMES)
    assert "sits most often at s = t+1 (3 of 3 steps); the answer lies at s = t+3" in missed


def test_look_behind_reads_the_unidirectional_map_and_its_delay() -> None:
    maps = Connectivity(_band(-3), _band(0), _band(0).T)
    numbers = reading(maps, "look_behind", 2, target_delay=1)  # answer at t-2-1
    assert (numbers.answer_map, numbers.answer_offset) == ("unidirectional", -3)
    line = explain.connectivity_reading(numbers, NAMES)
    assert (
        "In the LSTM, the strongest input sits at s = t−3, where the answer lies, in 3 of 3" in line
    )


def test_tasks_without_a_fixed_offset_get_the_shares_only() -> None:
    forward = _band(0)
    forward[0, 1] = 1e-3  # a sliver of weight on the future (e.g. two stacked layers)
    numbers = reading(Connectivity(_band(0), forward, _band(0).T), "reversal", 1)
    assert numbers.answer_peak is None
    line = explain.connectivity_reading(numbers, NAMES)
    assert line.startswith("Weight on later inputs (s > t): LSTM none, BiLSTM forward <1%")
    assert line.count(".") == 1
