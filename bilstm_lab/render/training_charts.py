"""The Training Lab's charts: live curves, accuracy per step, hidden states, the delay trade-off.

Pure plotly: figures are built from numbers (a `TrainResult`, progress points, the runs table);
no Streamlit, no TensorFlow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bilstm_lab.core.results import EpochRecord, StepScores, TrainResult

UNI_COLOR = "#d62728"  # red: the model that reads left to right only
BI_COLOR = "#1f77b4"  # blue: the model that reads both ways
#: The best-possible band: wide and translucent, so the LSTM's line stays visible inside it
#: and it stays visible around the LSTM's line, even where it equals chance.
CEILING_COLOR = "rgba(95, 95, 95, 0.30)"
CEILING_WIDTH = 14
CHANCE_COLOR = "#444444"
#: Steps whose answer the LSTM has not read yet, shaded *under* the lines.
UNREAD_FILL = "#ffe08a"
CEILING_NAME = "best possible, left to right"
#: Short enough that the verdict beside it and the chart fit a 1280×720 projector together.
STEP_CHART_HEIGHT = 300
CHANCE_NAME = "chance"
#: Up to this many time steps, the time axes label every step (0, 1, 2, … as on the rest of the
#: page: the sample table's columns, the verdict's step ranges).
LABEL_EVERY_STEP_MAX = 24


# --- figures ----------------------------------------------------------------------------------


def live_figure(
    points: list[tuple[float, float, float]],
    history: tuple[EpochRecord, ...] | list[EpochRecord],
    names: tuple[str, str] = ("BiLSTM", "LSTM"),
) -> go.Figure:
    """Training loss per batch group (top) and held-out accuracy per epoch (bottom).

    The two rows are laid out by hand (`LIVE_LAYOUT`, what ``make_subplots`` writes): the live
    panel rebuilds this figure every second for every watching page, and ``make_subplots``
    alone took 13 ms of the server's time per build (issue 14).
    """
    xs = [pt[0] for pt in points]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter", "x": xs, "y": [pt[column] for pt in points], "name": name,
            "line": {"color": color}, "legendgroup": name, "xaxis": "x", "yaxis": "y",
        }
        for column, name, color in ((2, names[0], BI_COLOR), (1, names[1], UNI_COLOR))
    ]  # fmt: skip
    epochs = [h.epoch for h in history]
    traces += [
        {
            "type": "scatter", "x": epochs, "y": values, "name": name, "mode": "lines+markers",
            "line": {"color": color}, "legendgroup": name, "showlegend": False,
            "xaxis": "x2", "yaxis": "y2",
        }
        for values, name, color in (
            ([h.val_acc_bi for h in history], names[0], BI_COLOR),
            ([h.val_acc_uni for h in history], names[1], UNI_COLOR),
        )
    ]  # fmt: skip
    return go.Figure({"data": traces, "layout": LIVE_LAYOUT})


#: The live figure's two rows: loss on top, held-out accuracy below, one shared epoch axis.
LIVE_LAYOUT: dict[str, Any] = {
    "xaxis": {"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False},
    "yaxis": {"anchor": "x", "domain": [0.57, 1.0]},
    "xaxis2": {"anchor": "y2", "domain": [0.0, 1.0], "title": {"text": "epoch"}},
    "yaxis2": {"anchor": "x2", "domain": [0.0, 0.43], "range": [0, 1.02], "tickformat": ".0%"},
    "annotations": [
        {
            "text": title, "font": {"size": 16}, "showarrow": False, "x": 0.5,
            "xanchor": "center", "xref": "paper", "y": y, "yanchor": "bottom", "yref": "paper",
        }
        for title, y in (("Training loss", 1.0), ("Held-out accuracy", 0.43))
    ],
    "height": 320,
    "margin": {"t": 30, "b": 40, "l": 50, "r": 10},
    "legend": {"orientation": "h", "y": -0.25},
}  # fmt: skip


def step_accuracy_figure(scores: StepScores, names: tuple[str, str]) -> go.Figure:
    """Held-out accuracy at each time step, with the LSTM's ceiling and chance level.

    Drawn bottom to top: the shading of the steps whose answer the LSTM has not read yet, the
    ceiling band, the chance line, then the two models' lines in their legend colours.

    Args:
        scores: per-step accuracies (final, or live during training) and the ceiling.
        names: ``(bidirectional, unidirectional)`` display names.
    """
    steps = list(range(len(scores.bi)))
    fig = go.Figure()
    # One shape per unread step, set at once: ``add_vrect`` took 7 ms each, and the live panel
    # redraws this chart every second for every watching page (issue 14).
    fig.update_layout(
        shapes=[
            {
                "type": "rect", "xref": "x", "yref": "y domain", "x0": t - 0.5, "x1": t + 0.5,
                "y0": 0, "y1": 1, "fillcolor": UNREAD_FILL, "opacity": 0.55,
                "line": {"width": 0}, "layer": "below",
            }
            for t in np.flatnonzero(scores.unread)
        ]
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=steps, y=_nan_to_none(scores.ceiling), name=CEILING_NAME, mode="lines",
            line={"color": CEILING_COLOR, "width": CEILING_WIDTH, "shape": "hvh"},
            hovertemplate="best possible at t=%{x}: %{y:.1%}<extra></extra>", legendrank=3,
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[-0.5, len(steps) - 0.5], y=[scores.chance] * 2, name=CHANCE_NAME, mode="lines",
            line={"color": CHANCE_COLOR, "width": 1.5, "dash": "dot"}, hoverinfo="skip",
            legendrank=4,
        )
    )  # fmt: skip
    for values, name, color, rank in (
        (scores.uni, names[1], UNI_COLOR, 2),
        (scores.bi, names[0], BI_COLOR, 1),
    ):
        fig.add_trace(
            go.Scatter(
                x=steps, y=_nan_to_none(values), name=name, mode="lines+markers",
                line={"color": color, "width": 3}, marker={"color": color, "size": 7},
                hovertemplate=f"{name} at t=%{{x}}: %{{y:.1%}}<extra></extra>", legendrank=rank,
            )
        )  # fmt: skip
    fig.update_layout(
        height=STEP_CHART_HEIGHT,
        xaxis={
            "title": "time step t (label position)",
            "dtick": _step_dtick(len(steps)),
            "range": [-0.5, len(steps) - 0.5],
        },
        yaxis={"title": "held-out accuracy", "range": [0, 1.05], "tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"t": 10, "b": 40, "l": 55, "r": 10},
    )
    return fig


def hidden_state_figure(result: TrainResult) -> go.Figure:
    """Heatmaps of the BiLSTM's forward and backward hidden states on the sample."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.08,
        subplot_titles=(
            "forward direction (has read tokens 0…t)",
            "backward direction (has read tokens t…T−1)",
        ),
    )
    for col, states in ((1, result.hidden_forward), (2, result.hidden_backward)):
        fig.add_trace(
            go.Heatmap(
                z=states.T,
                zmin=-1,
                zmax=1,
                colorscale="RdBu",
                showscale=col == 2,
                x=list(range(states.shape[0])),
                hovertemplate="t=%{x} unit=%{y}: %{z:.2f}<extra></extra>",
            ),
            1,
            col,
        )
    steps = result.hidden_forward.shape[0]
    fig.update_xaxes(title_text="time step t", dtick=_step_dtick(steps))
    fig.update_yaxes(title_text="unit", row=1, col=1)
    fig.update_layout(height=330, margin={"t": 40, "b": 40, "l": 50, "r": 20})
    return fig


def _step_dtick(steps: int) -> int | None:
    """Label every time step of a sequence up to `LABEL_EVERY_STEP_MAX` steps long (plotly
    picks the spacing for longer ones)."""
    return 1 if steps <= LABEL_EVERY_STEP_MAX else None


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]


def delay_figure(
    runs: list[dict[str, Any]], names: tuple[str, str] = ("BiLSTM", "LSTM")
) -> go.Figure:
    """The target-delay trade-off from this session's runs: one panel per task (and k), the
    LSTM's accuracy against how many steps late it answers, beside the BiLSTM's (first in the
    legend, as everywhere on the page; drawn last, so its marks sit on the LSTM's line).

    Args:
        runs: the session's runs, each with ``task``, ``k``, ``delay``, ``acc_uni`` and
            ``acc_bi``; only tasks with at least one delayed run get a panel.
        names: ``(bidirectional, unidirectional)`` display names for the legend.
    """
    frame = pd.DataFrame(runs)
    groups = [
        (_panel_title(task, k), group.sort_values("delay"))
        for (task, k), group in frame.groupby(["task", "k"], dropna=False, sort=False)
        if (group["delay"] > 0).any()
    ]
    columns = min(3, max(1, len(groups)))
    rows = -(-len(groups) // columns) if groups else 1
    fig = make_subplots(
        rows=rows, cols=columns, subplot_titles=[title for title, _ in groups] or None,
        shared_yaxes=True, horizontal_spacing=0.06, vertical_spacing=0.25 / rows,
    )  # fmt: skip
    for index, (_, group) in enumerate(groups):
        row, col = index // columns + 1, index % columns + 1
        first = index == 0
        fig.add_trace(
            go.Scatter(
                x=group["delay"].tolist(), y=group["acc_uni"].tolist(), mode="lines+markers",
                name=f"{names[1]} (answers d steps late)", line={"color": UNI_COLOR},
                legendgroup="uni", showlegend=first, legendrank=2,
            ),
            row, col,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=group["delay"].tolist(), y=group["acc_bi"].tolist(), mode="markers",
                name=f"{names[0]} (no delay)", marker={"color": BI_COLOR, "symbol": "diamond", "size": 9},
                legendgroup="bi", showlegend=first, legendrank=1,
            ),
            row, col,
        )  # fmt: skip
    fig.update_xaxes(title_text="delay d (steps of latency)", dtick=1)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig.update_yaxes(title_text="held-out accuracy", col=1)
    fig.update_layout(
        title=f"Target delay: the {names[1]}'s accuracy against how many steps late it answers",
        height=300 * rows + 40,
        margin={"t": 80, "b": 40, "l": 55, "r": 10},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )
    return fig


def _panel_title(task: str, k: Any) -> str:
    return task if pd.isna(k) else f"{task}, k={int(k)}"
