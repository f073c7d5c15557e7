"""The live panel's charts are built once per progress snapshot, whoever watches it (issue 14).

Thirty pages watching one shared run used to build the same two figures every second each.
"""

from __future__ import annotations

import numpy as np

from bilstm_lab.core.results import LiveCurve, Progress, StepScores
from bilstm_lab.render.training_charts import live_figure, step_accuracy_figure
from bilstm_lab.ui import live_figures as cache

NAMES = ("BiLSTM", "LSTM")
STEPS = StepScores(np.array([0.2, 0.5]), np.array([0.6, 0.9]), np.array([1.0, 0.5]), 0.25)


def _progress(batch: int, steps: StepScores | None = None) -> Progress:
    return Progress(1, 2, batch, 4, 0.1 * batch, 1.0 / batch, 0.5 / batch, (), steps)


def test_one_snapshot_builds_its_figures_once_for_every_watcher() -> None:
    curve = LiveCurve()
    first = curve.add(_progress(1))
    figures = cache.live_figures(first, NAMES)
    assert figures[1] is None  # no evaluation yet: no accuracy-per-step chart
    for _ in range(30):  # thirty pages polling the same run
        again = cache.live_figures(first, NAMES)
        assert again[0] is figures[0]
    second = curve.add(_progress(2, STEPS))
    curves, steps = cache.live_figures(second, NAMES)
    assert curves is not figures[0] and steps is not None
    # The same figures as built directly.
    assert curves.to_dict() == live_figure(list(second.points), (), NAMES).to_dict()
    assert steps.to_dict() == step_accuracy_figure(STEPS, NAMES).to_dict()


def test_the_cache_is_bounded() -> None:
    curve = LiveCurve()
    snapshots = [curve.add(_progress(batch)) for batch in range(1, cache.MAX_SNAPSHOTS + 10)]
    for snapshot in snapshots:
        cache.live_figures(snapshot, NAMES)
    assert len(cache._figures) == cache.MAX_SNAPSHOTS
