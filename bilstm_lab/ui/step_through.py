"""The Explorer's step-through of the two passes, and PyTorch's ``output`` vs ``h_n`` beside it.

Drawn under the static unrolled picture (which stays the default view): a toggle opens the
animated figure (`bilstm_lab.render.unrolled_steps`), whose Play/Pause and slider run in the
browser. The figure is built only when the toggle is on, and once per model and text scale.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import has_torch_equivalent
from bilstm_lab.core.spec import ModelSpec
from bilstm_lab.core.torch_states import torch_states
from bilstm_lab.render.unrolled_steps import step_through_figure
from bilstm_lab.ui import display, spec_cache

#: The toggle's widget key (tests switch it on by this key).
TOGGLE_KEY = "ex_step_through"
#: The animated chart's element key.
CHART_KEY = "ex_step_through_chart"


@spec_cache.per_spec
def step_through_chart(spec: ModelSpec, bidirectional: bool, scale: float) -> go.Figure:
    """The step-through figure with its text at ``scale`` (shared: never change it).

    `bilstm_lab.ui.display.scale_fonts` scales the layout's font, which the slider and the
    buttons inherit; the frames carry trace data only, so playing keeps the scaled text.
    """
    return display.scale_fonts(step_through_figure(spec, bidirectional), scale)


def render(spec: ModelSpec, bidirectional: bool) -> None:
    """The step-through toggle (and, when on, the animation), then the PyTorch view."""
    label = explain.step_through_heading(bidirectional)  # a plain layer has one pass
    if st.toggle(label, key=TOGGLE_KEY, help=explain.step_through_help(bidirectional)):
        # Already at the presenter scale, so st.plotly_chart and not display.plotly_chart.
        st.plotly_chart(
            step_through_chart(spec, bidirectional, display.text_scale()),
            key=CHART_KEY,
            config={"displayModeBar": False},
        )
    render_torch_view(spec)


def render_torch_view(spec: ModelSpec) -> None:
    """What PyTorch's bidirectional module returns for ``spec``, and the index mix-up to avoid."""
    st.markdown(explain.TORCH_VIEW_TITLE)
    if not has_torch_equivalent(spec):
        st.info(explain.torch_difference(spec), icon=":material/info:")
        return
    states = torch_states(spec)
    st.markdown(
        "\n".join(
            [
                explain.torch_module_line(states),
                "",
                explain.torch_output_line(states),
                explain.torch_h_n_line(states),
            ]
        )
    )
    st.table(explain.h_n_rows(states), hide_index=True)
    st.markdown(explain.torch_trap(states))
