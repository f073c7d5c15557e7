"""Architecture Explorer: the LSTM and BiLSTM variants of one model, side by side."""

from __future__ import annotations

from bilstm_lab.ui.explorer import render_page

render_page()
