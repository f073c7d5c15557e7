"""The server's one worker pool and its training desk, shared by every session.

Keras work never runs in the Streamlit process: pages submit jobs to warm worker processes
(`bilstm_lab.workers`). `python -m bilstm_lab app` creates the pool before the server starts
(`bilstm_lab.ui.launch`); under a bare ``streamlit run app.py`` — Streamlit has no server-start
hook — it is created on the first script run, and its workers warm up while that first
visitor reads the page.
"""

from __future__ import annotations

import os

import streamlit as st

from bilstm_lab.core.results import TrainResult
from bilstm_lab.core.train_config import StopReason
from bilstm_lab.workers.pool import WorkerPool
from bilstm_lab.workers.settings import TRAININGS_PER_ADDRESS_ENV, trainings_per_address
from bilstm_lab.workers.training_desk import TrainingDesk

#: What each worker does before it says ready: import TensorFlow and Keras, then train a tiny
#: run so the first user's Train does not pay the first trace (`bilstm_lab.training.warmup`).
WARM_UP = ("tensorflow", "keras", "bilstm_lab.training.warmup:warm_up")


@st.cache_resource(show_spinner=False)
def worker_pool() -> WorkerPool:
    """The process-wide pool (thread-safe: every session submits to it)."""
    return WorkerPool(warm_modules=WARM_UP)


def _ended_on_its_own(result: TrainResult) -> bool:
    # A run its owner stopped early is not what an identical request would get.
    return result.reason != StopReason.STOPPED


@st.cache_resource(show_spinner=False)
def training_desk() -> TrainingDesk:
    """The process-wide training desk: shared runs and the fairness rules."""
    per_address = trainings_per_address(os.environ.get(TRAININGS_PER_ADDRESS_ENV))
    return TrainingDesk(worker_pool(), per_address, reusable=_ended_on_its_own)
