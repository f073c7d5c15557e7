"""The connectivity heatmaps: which input steps each output step depends on, per direction.

Pure plotly from a `Connectivity` (no Streamlit, no TensorFlow).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bilstm_lab.core.connectivity import Connectivity
from bilstm_lab.render.training_charts import LABEL_EVERY_STEP_MAX

#: Exact zeros (no path from input to output) in grey; every positive value on white → blue.
#: The grey stop is a billionth of the scale wide: only a true zero lands on it. The blues rise
#: fast at the low end: on the shared scale a map ten times weaker than another (the LSTM's
#: beside a trained backward direction) still shows its shape.
ZERO_COLOR = "#c8c8c8"
COLORSCALE = [
    [0.0, ZERO_COLOR],
    [1e-9, "#f7fbff"],
    [0.05, "#c6dbef"],
    [0.2, "#6baed6"],
    [0.5, "#2171b5"],
    [1.0, "#08306b"],
]
#: Three square-ish maps side by side fit a 1280×720 projector's page width at this height.
CONNECTIVITY_HEIGHT = 400


def _hover(matrix: np.ndarray) -> list[list[str]]:
    """Per-cell hover text: t, s and the value; an exact zero says it is one."""
    return [
        [
            f"output t={t}, input s={s}<br>"
            + ("exactly 0: no path" if value == 0 else f"‖∂y/∂x‖ = {value:.3g}")
            for s, value in enumerate(row)
        ]
        for t, row in enumerate(matrix)
    ]


def connectivity_figure(maps: Connectivity, titles: tuple[str, str, str]) -> go.Figure:
    """Three heatmaps on one colour scale: unidirectional, forward direction, backward direction.

    Args:
        maps: the run's maps, each ``(T, T)`` (row = output step t, column = input step s).
        titles: the three panels' titles.
    """
    matrices = list(maps.maps().values())
    top = max(float(m.max()) for m in matrices) or 1.0
    steps = matrices[0].shape[0]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.06)
    for col, matrix in enumerate(matrices, start=1):
        fig.add_trace(
            go.Heatmap(
                z=matrix,
                x=list(range(steps)),
                y=list(range(steps)),
                zmin=0,
                zmax=top,
                colorscale=COLORSCALE,
                showscale=col == 3,
                colorbar={"title": {"text": "‖∂y_t/∂x_s‖", "side": "right"}, "thickness": 14},
                customdata=_hover(matrix),
                hovertemplate="%{customdata}<extra></extra>",
                xgap=1,
                ygap=1,
            ),
            1,
            col,
        )
    dtick = 1 if steps <= LABEL_EVERY_STEP_MAX // 2 else None
    fig.update_xaxes(title_text="input step s (0 = first)", dtick=dtick, constrain="domain")
    # Row t = 0 at the top, as in a matrix: the diagonal runs top-left to bottom-right.
    fig.update_yaxes(autorange="reversed", dtick=dtick)
    fig.update_yaxes(title_text="output step t (0 = first)", row=1, col=1)
    fig.update_layout(height=CONNECTIVITY_HEIGHT, margin={"t": 40, "b": 50, "l": 60, "r": 10})
    return fig
