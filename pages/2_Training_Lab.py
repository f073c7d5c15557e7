"""Training Lab: train an LSTM and a BiLSTM live on toy tasks and see what future context buys."""

from __future__ import annotations

from bilstm_lab.ui.common import keep_keras_state_between_reruns, page_setup
from bilstm_lab.ui.training import render_page

page_setup("Training Lab", icon="🏋️")
# Background trainings must survive other script runs (see the function's docstring).
keep_keras_state_between_reruns()
render_page()
