"""Downloads for slides: the diagrams (Explorer and Convert page) as SVG and PNG, the formulas as LaTeX, charts as PNG.

Nothing here is drawn on a rerun: the buttons hold callables that Streamlit runs only when one
is clicked (``st.download_button`` accepts a callable for ``data``), so the Explorer's rerun cost
does not grow. Charts are saved by plotly.js in the browser (`png_download_config`). A locked
classroom link shows the result, not the tools: no buttons, no modebar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import Comparison
from bilstm_lab.core.latex import formulas_latex
from bilstm_lab.core.model_info import ModelInfo
from bilstm_lab.core.spec import ModelSpec
from bilstm_lab.render.chart_export import png_download_config
from bilstm_lab.render.layout import Layout
from bilstm_lab.render.model_graph import Role
from bilstm_lab.render.model_graph_layout import model_graph_layout
from bilstm_lab.render.png import layout_png
from bilstm_lab.render.stack_layout import stack_layout
from bilstm_lab.render.svg import layout_svg
from bilstm_lab.render.unrolled_layout import unrolled_layout
from bilstm_lab.ui import display

#: Widget keys of the stack downloads (also what the UI tests look for).
STACK_SVG_KEY = "downloads_stack_svg"
STACK_PNG_KEY = "downloads_stack_png"
FORMULAS_KEY = "downloads_formulas_tex"
UNROLLED_SVG_KEY = "downloads_unrolled_svg"
UNROLLED_PNG_KEY = "downloads_unrolled_png"
#: Widget keys of the Convert page's graph downloads: stage ``before``/``after``, kind ``svg``/``png``.
MODEL_GRAPH_KEY = "downloads_model_graph_{stage}_{kind}"


def file_stem(comparison: Comparison) -> str:
    """``lstm_vs_bilstm``: the start of every file name for this pair of variants."""
    return f"{comparison.uni.label.lower()}_vs_{comparison.bi.label.lower()}"


def stack_downloads(comparison: Comparison) -> None:
    """The layer stacks as SVG and as a 1920×1080 PNG, and the formulas as LaTeX."""
    if display.locked():
        return
    stem = file_stem(comparison)
    with st.container(horizontal=True):
        _download(
            explain.DOWNLOAD_SVG_LABEL,
            lambda: layout_svg(stack_layout(comparison)),
            f"{stem}_stacks.svg",
            "image/svg+xml",
            STACK_SVG_KEY,
            explain.DOWNLOAD_SVG_HELP,
        )
        _download(
            explain.DOWNLOAD_PNG_LABEL,
            lambda: layout_png(stack_layout(comparison)),
            f"{stem}_stacks.png",
            "image/png",
            STACK_PNG_KEY,
            explain.DOWNLOAD_PNG_HELP,
        )
        _download(
            explain.DOWNLOAD_LATEX_LABEL,
            lambda: formulas_latex(comparison),
            f"{stem}_formulas.tex",
            "application/x-tex",
            FORMULAS_KEY,
            explain.DOWNLOAD_LATEX_HELP,
        )


def _download(
    label: str,
    data: Callable[[], str | bytes],
    file_name: str,
    mime: str,
    key: str,
    help_text: str,
) -> None:
    """One download button; ``data`` runs only when it is clicked.

    Clicking does not rerun the page (``on_click="ignore"``): a download changes nothing shown.
    """
    st.download_button(
        label,
        data,
        file_name=file_name,
        mime=mime,
        key=key,
        help=help_text,
        on_click="ignore",
        icon=":material/download:",
    )


def chart_config(file_name: str) -> dict[str, Any]:
    """The plotly config of a chart that can be saved as a 1920×1080 PNG (none when locked)."""
    if display.locked():
        return {"displayModeBar": False}
    return png_download_config(file_name)


def unrolled_downloads(spec: ModelSpec, bidirectional: bool) -> None:
    """The unrolled picture of one variant as SVG and as a 1920×1080 PNG."""
    if display.locked():
        return
    stem = f"{spec.cell.variant_name(bidirectional).lower()}_unrolled"
    with st.container(horizontal=True):
        _download(
            explain.DOWNLOAD_SVG_LABEL,
            lambda: layout_svg(unrolled_layout(spec, bidirectional)),
            f"{stem}.svg",
            "image/svg+xml",
            UNROLLED_SVG_KEY,
            explain.DOWNLOAD_UNROLLED_SVG_HELP,
        )
        _download(
            explain.DOWNLOAD_PNG_LABEL,
            lambda: layout_png(unrolled_layout(spec, bidirectional)),
            f"{stem}.png",
            "image/png",
            UNROLLED_PNG_KEY,
            explain.DOWNLOAD_UNROLLED_PNG_HELP,
        )


def model_graph_downloads(
    info: ModelInfo, roles: Mapping[str, Role] | None, stem: str, converted: bool
) -> None:
    """A model's layer graph (the Convert page's Before or After) as SVG and 1920×1080 PNG.

    Args:
        info: the model's graph.
        roles: where each layer's weights come from (the After graph); None before.
        stem: the start of the file names (the model's name, made safe for a file system).
        converted: whether this is the converted model (the After graph).
    """
    if display.locked():
        return
    stage = "after" if converted else "before"

    def layout() -> Layout:
        return model_graph_layout(info, roles, explain.model_graph_title(info.name, converted))

    with st.container(horizontal=True):
        _download(
            explain.DOWNLOAD_SVG_LABEL,
            lambda: layout_svg(layout()),
            f"{stem}_{stage}.svg",
            "image/svg+xml",
            MODEL_GRAPH_KEY.format(stage=stage, kind="svg"),
            explain.DOWNLOAD_MODEL_GRAPH_SVG_HELP,
        )
        _download(
            explain.DOWNLOAD_PNG_LABEL,
            lambda: layout_png(layout()),
            f"{stem}_{stage}.png",
            "image/png",
            MODEL_GRAPH_KEY.format(stage=stage, kind="png"),
            explain.DOWNLOAD_MODEL_GRAPH_PNG_HELP,
        )


def breakdown_config(comparison: Comparison) -> dict[str, Any]:
    """`chart_config` of the "where the parameters go" chart."""
    return chart_config(f"{file_stem(comparison)}_parameters")


def downloadable_chart(figure: go.Figure, key: str, file_name: str) -> None:
    """A plotly chart whose camera button (always shown) saves a 1920×1080 PNG.

    Args:
        figure: the chart.
        key: its widget key.
        file_name: the saved file's name, without ``.png``.
    """
    display.plotly_chart(figure, key=key, config=chart_config(file_name))


def connectivity_chart(figure: go.Figure, key: str = "tl_connectivity_chart") -> None:
    """The Training Lab's connectivity heatmaps, downloadable as PNG: call this to draw them."""
    downloadable_chart(figure, key, "connectivity")
