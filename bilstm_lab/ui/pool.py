"""The server's one worker pool, shared by every session (the only `st.cache_resource`).

Keras work never runs in the Streamlit process: pages submit jobs to warm worker processes
(`bilstm_lab.workers`). `python -m bilstm_lab app` creates the pool before the server starts
(`bilstm_lab.ui.launch`); under a bare ``streamlit run app.py`` — Streamlit has no server-start
hook — it is created on the first script run, and its workers warm up while that first
visitor reads the page.
"""

from __future__ import annotations

import streamlit as st

from bilstm_lab.workers.pool import WorkerPool

#: What each worker does before it says ready: import TensorFlow and Keras, then train a tiny
#: run so the first user's Train does not pay the first trace (`bilstm_lab.training.warmup`).
WARM_UP = ("tensorflow", "keras", "bilstm_lab.training.warmup:warm_up")


@st.cache_resource(show_spinner=False)
def worker_pool() -> WorkerPool:
    """The process-wide pool (thread-safe: every session submits to it)."""
    return WorkerPool(warm_modules=WARM_UP)
