"""The server's one worker pool, shared by every session (the only `st.cache_resource`).

Keras work never runs in the Streamlit process: pages submit jobs to warm worker processes
(`bilstm_lab.workers`). The pool is created on the first script run of the server's first
session — Streamlit has no server-start hook — and its workers import TensorFlow in the
background while that first visitor reads the page.
"""

from __future__ import annotations

import streamlit as st

from bilstm_lab.workers.pool import WorkerPool


@st.cache_resource(show_spinner=False)
def worker_pool() -> WorkerPool:
    """The process-wide pool (thread-safe: every session submits to it)."""
    return WorkerPool()
