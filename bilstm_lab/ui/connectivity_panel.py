"""The Training Lab's connectivity section: heatmaps per direction and their one-line reading."""

from __future__ import annotations

import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.connectivity import reading
from bilstm_lab.core.results import TrainResult
from bilstm_lab.render.connectivity_chart import connectivity_figure
from bilstm_lab.ui import downloads


def render_connectivity(result: TrainResult, names: tuple[str, str]) -> None:
    """Heatmaps of ‖∂y_t/∂x_s‖ (unidirectional, forward, backward), the reading, the caption;
    for a model too large for its maps, the sentence that says so."""
    st.markdown("#### Connectivity: which input steps each output step depends on")
    maps = result.connectivity
    if maps is None:
        st.caption(explain.CONNECTIVITY_SKIPPED)
        return
    config = result.config
    figure = connectivity_figure(maps, explain.connectivity_titles(names))
    downloads.connectivity_chart(figure)  # camera: PNG 1920×1080 for slides
    numbers = reading(maps, config.task, config.params.k, config.target_delay)
    st.markdown(explain.connectivity_reading(numbers, names))
    st.caption(explain.connectivity_caption(names, config.layers, maps.sequences))
