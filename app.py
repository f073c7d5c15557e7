"""BiLSTM Lab home page (`streamlit run app.py`)."""

from __future__ import annotations

import streamlit as st

from bilstm_lab.ui.common import page_setup

page_setup("Home")
st.title("BiLSTM Lab")
st.write("See exactly what changes when a recurrent layer becomes bidirectional.")
