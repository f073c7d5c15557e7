"""Training Lab: train an LSTM and a BiLSTM live on toy tasks and see what future context buys."""

from __future__ import annotations

from bilstm_lab.ui.training import render_page

render_page()
