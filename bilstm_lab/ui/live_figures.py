"""The live panel's two charts, built once per progress snapshot for every page that watches it.

A training page polls its run every second and redraws its live charts. Thirty students
watching one shared run (the teacher's link) would each build the same two plotly figures from
the same snapshot every second — ~20 ms of the one server process per page, so ~0.6 s of every
second. The snapshot object only changes when the worker reports progress, so the figures are
kept per snapshot and handed to every watcher (issue 14).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import plotly.graph_objects as go

from bilstm_lab.core.results import LiveSnapshot
from bilstm_lab.render.training_charts import live_figure, step_accuracy_figure

#: Snapshots kept: a few per running run (the pool runs at most a handful at once).
MAX_SNAPSHOTS = 32

_lock = threading.Lock()
# id(snapshot), names -> (the snapshot itself, its figures). The snapshot is held so its id
# cannot be reused by another object while the entry lives.
_figures: OrderedDict[
    tuple[int, tuple[str, str]], tuple[LiveSnapshot, go.Figure, go.Figure | None]
] = OrderedDict()


def live_figures(
    snapshot: LiveSnapshot, names: tuple[str, str]
) -> tuple[go.Figure, go.Figure | None]:
    """The live curves and, once the run has evaluated, the accuracy per step, of ``snapshot``.

    The figures are shared between sessions: callers must not change them (the presenter
    scale draws from a copy, `display.plotly_chart`).
    """
    key = (id(snapshot), names)
    with _lock:
        entry = _figures.get(key)
        if entry is not None and entry[0] is snapshot:
            _figures.move_to_end(key)
            return entry[1], entry[2]
    curves = live_figure(list(snapshot.points), snapshot.progress.history, names)
    steps = step_accuracy_figure(snapshot.steps, names) if snapshot.steps is not None else None
    with _lock:
        _figures[key] = (snapshot, curves, steps)
        while len(_figures) > MAX_SNAPSHOTS:
            _figures.popitem(last=False)
    return curves, steps
