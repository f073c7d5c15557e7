"""The home page: what the lab is, LSTM vs BiLSTM in one minute, and links to the pages."""

from __future__ import annotations

import streamlit as st

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import DEFAULT_SPEC, FeatureInput, ModelSpec
from bilstm_lab.render.unrolled import unrolled_figure
from bilstm_lab.ui import display
from bilstm_lab.ui.common import APP_TITLE, PAGES, session_pages


def render() -> None:
    """Draw the home page (the app's default page, at ``/``)."""
    st.title(APP_TITLE)
    st.markdown(
        "See exactly what changes when a recurrent layer becomes **bidirectional**: output "
        "shapes, parameter counts with their formulas, layer diagrams, and — trained live on toy "
        "tasks — what the future context buys. Every number is computed by the lab and checked "
        "against real Keras."
    )

    # The worked example is the default model, and its numbers come from the analysis engine.
    example = compare(DEFAULT_SPEC)
    uni_row, bi_row = example.uni.layers[0], example.bi.layers[0]
    units, width = DEFAULT_SPEC.units[0], DEFAULT_SPEC.input.width

    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader("LSTM vs BiLSTM in one minute")
        st.markdown(
            f"""
- An **LSTM** reads the sequence once, left to right: its output at step *t* has seen
  x₁ … xₜ only.
- A **BiLSTM** (`Bidirectional(LSTM(...))`) adds a **second, independent LSTM** that reads right
  to left, and **merges** the two at every step — so each output has seen the whole sequence.
- **Parameters:** two copies → exactly **2×** for a layer with the same input.
  `LSTM({units})` on {width} features: {uni_row.formula} → BiLSTM
  **{fmt(bi_row.params)}**.
- **Shapes:** with the default `merge_mode="concat"` the two directions are laid side by side,
  so the width doubles: `{format_shape(uni_row.output_shapes)}` →
  `{format_shape(bi_row.output_shapes)}`.
- **So a stacked BiLSTM grows by more than 2×:** the layer above reads that doubled width.
- **But:** a BiLSTM needs the whole sequence before it answers — it cannot predict the next
  step of a stream.
"""
        )
    with right:
        # Four steps are enough to see both chains; the Explorer draws any model.
        small = ModelSpec(units=(8,), input=FeatureInput(seq_len=4, features=3))
        figure = unrolled_figure(small, bidirectional=True)
        figure.update_layout(title={"text": "A BiLSTM unrolled over 4 steps"})
        display.plotly_chart(figure, key="home_unrolled", config={"displayModeBar": False})

    st.subheader("Pages")
    # The same st.Page objects app.py registered (Home first), so a link can't drift.
    for info, page in zip(PAGES, session_pages(render)[1:], strict=True):
        st.page_link(page, label=f"**{info.title}** — {info.description}")
