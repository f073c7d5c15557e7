"""Connectivity maps and the numbers the page reads from them (pure: no TensorFlow).

A map ``C`` is ``(T, T)``: row t is the output step, column s the input step, and ``C[t, s]``
the mean gradient norm ‖∂y_t/∂x_s‖ (computed in a worker by `bilstm_lab.training.connectivity`).
Steps are 0-based, as everywhere in the Training Lab.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Where the answer of label t lies relative to t, per task with an offset (``k`` steps ahead or
#: behind); other tasks' answers are not at one fixed offset.
_ANSWER_DIRECTION = {"look_ahead": 1, "look_behind": -1}


@dataclass(frozen=True)
class Connectivity:
    """The three maps of a run, each ``(T, T)`` float, non-negative.

    Attributes:
        unidirectional: the unidirectional model's last recurrent layer.
        forward: the bidirectional layer's forward direction.
        backward: its backward direction (rows in input time).
        sequences: how many held-out sequences the norms are averaged over.
        seconds: what computing the maps cost.
    """

    unidirectional: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    sequences: int = 0
    seconds: float = 0.0

    def maps(self) -> dict[str, np.ndarray]:
        """The maps by their JSON key, in display order."""
        return {
            "unidirectional": self.unidirectional,
            "forward": self.forward,
            "backward": self.backward,
        }

    def as_lists(self) -> dict[str, list[list[float]]]:
        """``{"unidirectional": M, "forward": M, "backward": M}``, each M a T×T nested list."""
        return {key: matrix.astype(float).tolist() for key, matrix in self.maps().items()}


def future_share(matrix: np.ndarray) -> float:
    """Share of a map's total weight on later inputs (s > t); NaN for an all-zero map."""
    total = float(matrix.sum())
    return float(np.triu(matrix, k=1).sum()) / total if total > 0 else float("nan")


@dataclass(frozen=True)
class Peak:
    """Where one map's strongest input sits, relative to the output step.

    Attributes:
        offset: the most frequent ``argmax_s C[t, s] − t`` over the rows considered (ties: the
            smaller |offset|, then the earlier).
        rows: how many rows have their strongest input at that offset.
        of: how many rows were considered.
    """

    offset: int
    rows: int
    of: int


def peak(matrix: np.ndarray, rows: np.ndarray | None = None) -> Peak | None:
    """The typical position of each row's strongest input, relative to its output step.

    Args:
        matrix: a ``(T, T)`` map.
        rows: ``(T,)`` bool, the rows to consider (all by default); all-zero rows never count.

    Returns:
        The peak, or ``None`` when no row counts.
    """
    keep = matrix.sum(axis=1) > 0
    if rows is not None:
        keep &= rows
    steps = np.flatnonzero(keep)
    if steps.size == 0:
        return None
    offsets = matrix[steps].argmax(axis=1) - steps
    values, counts = np.unique(offsets, return_counts=True)
    best = min(range(len(values)), key=lambda i: (-counts[i], abs(values[i]), values[i]))
    return Peak(int(values[best]), int(counts[best]), int(steps.size))


@dataclass(frozen=True)
class Reading:
    """The numbers behind the one-line reading under the heatmaps.

    Attributes:
        future: share of weight on s > t, per map (unidirectional, forward, backward).
        answer_map: for tasks whose answer sits at a fixed offset, the map that should find
            it (``"backward"`` for an answer ahead, ``"unidirectional"`` for one behind), else None.
        answer_offset: where that map's answer lies relative to its output step t.
        answer_peak: that map's `peak` over the rows whose answer position exists.
    """

    future: tuple[float, float, float]
    answer_map: str | None = None
    answer_offset: int | None = None
    answer_peak: Peak | None = None


def answer_offset(task: str, k: int) -> int | None:
    """Where label t's answer lies relative to t (+k ahead, −k behind), or None."""
    direction = _ANSWER_DIRECTION.get(task)
    return None if direction is None else direction * k


def reading(connectivity: Connectivity, task: str, k: int, target_delay: int = 0) -> Reading:
    """The numbers for the reading of a run's maps.

    Args:
        connectivity: the run's maps.
        task: the task key (look-ahead and look-behind have an answer at a fixed offset).
        k: the task's offset.
        target_delay: the unidirectional model answers label t at output step t + delay, so its
            answer lies ``delay`` steps further back.
    """
    maps = connectivity.maps()
    uni, forward, backward = (future_share(m) for m in maps.values())
    future = (uni, forward, backward)
    offset = answer_offset(task, k)
    if offset is None:
        return Reading(future)
    key = "backward" if offset > 0 else "unidirectional"
    if key == "unidirectional":
        offset -= target_delay
    matrix = maps[key]
    steps = np.arange(matrix.shape[0])
    inside = (steps + offset >= 0) & (steps + offset < matrix.shape[0])
    return Reading(future, key, offset, peak(matrix, inside))
