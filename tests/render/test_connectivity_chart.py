"""The connectivity heatmaps: one scale, exact zeros in grey, a hover per cell, axis titles."""

from __future__ import annotations

import numpy as np

from bilstm_lab.core import explain
from bilstm_lab.core.connectivity import Connectivity
from bilstm_lab.render.connectivity_chart import ZERO_COLOR, connectivity_figure


def test_heatmaps_share_one_scale_grey_only_for_exact_zeros_and_hover_every_cell() -> None:
    lower = np.tril(np.full((4, 4), 0.5))
    maps = Connectivity(lower, lower * 2, (lower * 6).T)
    fig = connectivity_figure(maps, explain.connectivity_titles(("BiLSTM", "LSTM")))
    heatmaps = [trace for trace in fig.data if trace.type == "heatmap"]
    assert len(heatmaps) == 3
    assert {trace.zmax for trace in heatmaps} == {3.0} and {trace.zmin for trace in heatmaps} == {0}
    for trace, matrix in zip(heatmaps, maps.maps().values(), strict=True):
        np.testing.assert_array_equal(np.asarray(trace.z), matrix)
        assert trace.customdata[0][1].startswith("output t=0, input s=1")
    assert heatmaps[0].colorscale[0][1] == ZERO_COLOR
    assert "exactly 0: no path" in heatmaps[0].customdata[0][1]
    assert heatmaps[0].customdata[1][0].endswith("= 0.5")
    assert fig.layout.xaxis.title.text == "input step s (0 = first)"
    assert fig.layout.yaxis.title.text == "output step t (0 = first)"
