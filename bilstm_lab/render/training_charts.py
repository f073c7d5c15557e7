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

from bilstm_lab.core.results import EpochRecord, TrainResult

UNI_COLOR = "#d62728"  # red: the model that reads left to right only
BI_COLOR = "#1f77b4"  # blue: the model that reads both ways
CEILING_COLOR = "#7f7f7f"


# --- figures ----------------------------------------------------------------------------------


def live_figure(
    points: list[tuple[float, float, float]], history: tuple[EpochRecord, ...] | list[EpochRecord]
) -> go.Figure:
    """Loss per batch group and held-out accuracy per epoch, for both variants."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Training loss", "Held-out accuracy"))
    if points:
        xs = [pt[0] for pt in points]
        fig.add_trace(
            go.Scatter(x=xs, y=[pt[1] for pt in points], name="LSTM", line={"color": UNI_COLOR}),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(x=xs, y=[pt[2] for pt in points], name="BiLSTM", line={"color": BI_COLOR}),
            1,
            1,
        )
    if history:
        epochs = [h.epoch for h in history]
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=[h.val_acc_uni for h in history],
                name="LSTM (held-out)",
                mode="lines+markers",
                line={"color": UNI_COLOR},
                showlegend=False,
            ),
            1,
            2,
        )
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=[h.val_acc_bi for h in history],
                name="BiLSTM (held-out)",
                mode="lines+markers",
                line={"color": BI_COLOR},
                showlegend=False,
            ),
            1,
            2,
        )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=320, margin={"t": 40, "b": 40, "l": 40, "r": 20})
    return fig


def step_accuracy_figure(result: TrainResult, names: tuple[str, str]) -> go.Figure:
    """Held-out accuracy at each time step, with the causal ceiling and chance level."""
    assert result.step_acc_uni is not None and result.step_acc_bi is not None
    steps = list(range(len(result.step_acc_bi)))
    fig = go.Figure()
    if result.ceiling is not None:
        ceiling = result.ceiling
        for t in steps:
            if not np.isnan(ceiling[t]) and ceiling[t] < 0.999:
                # Shade the steps whose answer is (at least partly) still in the future.
                fig.add_vrect(
                    x0=t - 0.5, x1=t + 0.5, fillcolor="#ffe9a8", opacity=0.5, line_width=0
                )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=_nan_to_none(ceiling),
                name="best any left-to-right model can do",
                mode="lines",
                line={"color": CEILING_COLOR, "dash": "dash", "shape": "hvh"},
            ),
        )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=_nan_to_none(result.step_acc_bi),
            name=names[0],
            mode="lines+markers",
            line={"color": BI_COLOR, "width": 3},
        ),
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=_nan_to_none(result.step_acc_uni),
            name=names[1],
            mode="lines+markers",
            line={"color": UNI_COLOR, "width": 3},
        ),
    )
    fig.add_hline(
        y=result.chance,
        line_dash="dot",
        line_color="#444",
        annotation_text=f"chance {result.chance:.0%}",
        annotation_position="bottom right",
    )
    fig.update_layout(
        height=380,
        xaxis={"title": "time step t (label position)", "dtick": 1},
        yaxis={"title": "held-out accuracy", "range": [0, 1.05], "tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.12},
        margin={"t": 40, "b": 40, "l": 50, "r": 20},
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
    fig.update_xaxes(title_text="time step t", dtick=2)
    fig.update_yaxes(title_text="unit", row=1, col=1)
    fig.update_layout(height=330, margin={"t": 40, "b": 40, "l": 50, "r": 20})
    return fig


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]


def delay_figure(runs: list[dict[str, Any]]) -> go.Figure:
    """The target-delay trade-off from this session's runs: LSTM accuracy against its latency."""
    fig = go.Figure()
    frame = pd.DataFrame(runs)
    for (task, k), group in frame.groupby(["task", "k"], dropna=False, sort=False):
        group = group.sort_values("delay d")
        label = task if pd.isna(k) else f"{task}, k={int(k)}"
        fig.add_trace(
            go.Scatter(
                x=group["delay d"].tolist(), y=group["LSTM acc"].tolist(), mode="lines+markers",
                name=f"LSTM · {label}", line={"color": UNI_COLOR},
            )
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=group["delay d"].tolist(), y=group["BiLSTM acc"].tolist(), mode="markers",
                name=f"BiLSTM (no delay) · {label}", marker={"color": BI_COLOR, "symbol": "diamond"},
            )
        )  # fmt: skip
    fig.update_layout(
        title="Target delay: the LSTM's accuracy against how many steps late it answers",
        xaxis={"title": "delay d (steps of latency)", "dtick": 1},
        yaxis={"title": "held-out accuracy", "range": [0, 1.05], "tickformat": ".0%"},
        height=340,
        margin={"t": 50, "b": 40, "l": 50, "r": 20},
    )
    return fig
