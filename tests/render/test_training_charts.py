"""The Training Lab's charts show their point: lines in legend colours above the shading, only the
steps whose answer lies ahead marked, the best possible visible apart from chance, every time
step labelled on short sequences, one colour pair and two legend entries (the BiLSTM first) in
the delay chart."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np
import plotly.graph_objects as go
import pytest

from bilstm_lab.core.results import StepScores, TrainResult
from bilstm_lab.core.tasks import TaskParams, get_task
from bilstm_lab.render.training_charts import (
    BI_COLOR,
    CEILING_NAME,
    CHANCE_NAME,
    LABEL_EVERY_STEP_MAX,
    UNI_COLOR,
    delay_figure,
    hidden_state_figure,
    step_accuracy_figure,
)

NAMES = ("BiLSTM", "LSTM")


def _scores(task: str, params: TaskParams, delay: int = 0) -> StepScores:
    ceiling = get_task(task).causal_ceiling(params, delay)
    assert ceiling is not None
    uni = np.where(np.isnan(ceiling), np.nan, np.minimum(ceiling, 0.9))
    bi = np.where(np.isnan(get_task(task).causal_ceiling(params)), np.nan, 0.97)
    return StepScores(uni, bi, ceiling, get_task(task).chance(params))


def _shaded_steps(fig: go.Figure) -> list[int]:
    return sorted(round((shape.x0 + shape.x1) / 2) for shape in fig.layout.shapes)


def test_only_steps_whose_answer_lies_ahead_are_shaded_below_the_lines() -> None:
    # Reversal, T=6: steps 0-2 need the future, 3-5 do not — the contrast the chart must show.
    fig = step_accuracy_figure(_scores("reversal", TaskParams(seq_len=6, k=1, vocab=4)), NAMES)
    assert _shaded_steps(fig) == [0, 1, 2]
    assert all(shape.layer == "below" for shape in fig.layout.shapes)


def test_the_lines_use_the_legend_colours_and_are_drawn_last() -> None:
    fig = step_accuracy_figure(_scores("look_ahead", TaskParams(seq_len=8, k=3, vocab=8)), NAMES)
    names = [trace.name for trace in fig.data]
    assert names[-2:] == ["LSTM", "BiLSTM"]  # on top of the ceiling band and the chance line
    colours = {trace.name: (trace.line.color, trace.marker.color) for trace in fig.data}
    assert colours["LSTM"] == (UNI_COLOR, UNI_COLOR)
    assert colours["BiLSTM"] == (BI_COLOR, BI_COLOR)


def test_the_best_possible_stays_visible_where_it_equals_chance() -> None:
    # Look-ahead: the best a left-to-right model can do is exactly chance (1/vocab).
    scores = _scores("look_ahead", TaskParams(seq_len=8, k=3, vocab=8))
    fig = step_accuracy_figure(scores, NAMES)
    traces = {trace.name: trace for trace in fig.data}
    ceiling, chance = traces[CEILING_NAME], traces[CHANCE_NAME]
    assert np.nanmax(np.array(ceiling.y, dtype=float)) == scores.chance
    # A wide band around the LSTM's line, not a thin line under it; chance is thin and dotted.
    assert ceiling.line.width >= 3 * traces["LSTM"].line.width
    assert ceiling.line.color != chance.line.color and chance.line.dash == "dot"
    assert ceiling.showlegend is not False and chance.showlegend is not False


def test_with_a_long_enough_delay_nothing_is_shaded_and_the_band_reaches_the_top() -> None:
    scores = _scores("look_ahead", TaskParams(seq_len=8, k=3, vocab=8), delay=3)
    fig = step_accuracy_figure(scores, NAMES)
    assert _shaded_steps(fig) == []
    band = next(trace for trace in fig.data if trace.name == CEILING_NAME)
    assert max(v for v in band.y if v is not None) == 1.0


def _run(task: str, k: int | None, delay: int, acc_uni: float) -> dict:
    return {"task": task, "k": k, "delay": delay, "acc_uni": acc_uni, "acc_bi": 0.99}


@pytest.mark.parametrize("steps", [6, LABEL_EVERY_STEP_MAX, LABEL_EVERY_STEP_MAX + 8])
def test_time_axes_label_every_step_of_a_short_sequence_from_zero(steps: int) -> None:
    # Steps count from 0, as the sample table's columns (t=0…) and the verdict's ranges do.
    hidden = np.zeros((steps, 4))
    result = cast(TrainResult, SimpleNamespace(hidden_forward=hidden, hidden_backward=hidden))
    every_step = 1 if steps <= LABEL_EVERY_STEP_MAX else None
    heatmaps = hidden_state_figure(result)
    assert [list(trace.x) for trace in heatmaps.data] == [list(range(steps))] * 2
    assert heatmaps.layout.xaxis.dtick == heatmaps.layout.xaxis2.dtick == every_step
    params = TaskParams(seq_len=steps, k=3, vocab=8)
    per_step = step_accuracy_figure(_scores("look_ahead", params), NAMES)
    assert list(per_step.data[-1].x) == list(range(steps))
    assert per_step.layout.xaxis.dtick == every_step


def test_delay_chart_has_one_panel_per_task_and_two_legend_entries() -> None:
    runs = [
        _run("Look-ahead", 3, 0, 0.13),
        _run("Look-ahead", 3, 3, 0.98),
        _run("Reversal", None, 0, 0.6),
        _run("Reversal", None, 2, 0.8),
        _run("Look-behind (control)", 3, 0, 1.0),  # never delayed: no panel
    ]
    fig = delay_figure(runs, NAMES)
    titles = [annotation.text for annotation in fig.layout.annotations]
    assert titles == ["Look-ahead, k=3", "Reversal"]
    assert [trace.showlegend for trace in fig.data].count(True) == 2
    # The BiLSTM first in the legend, as in the tiles and the other charts; drawn last (on top).
    ranked = sorted((t for t in fig.data if t.showlegend), key=lambda t: t.legendrank)
    assert [t.name.split()[0] for t in ranked] == ["BiLSTM", "LSTM"]
    assert fig.data[-1].name.startswith("BiLSTM")
    assert {trace.line.color for trace in fig.data if trace.mode == "lines+markers"} == {UNI_COLOR}
    assert {trace.marker.color for trace in fig.data if trace.mode == "markers"} == {BI_COLOR}
