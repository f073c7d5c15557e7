"""Warm worker processes that run all Keras work, so the Streamlit server never imports it.

``from bilstm_lab.workers import WorkerPool`` is safe in the server: this package imports only
the standard library. See `bilstm_lab.workers.pool` for the design.
"""

from __future__ import annotations

from bilstm_lab.workers.jobs import JOBS
from bilstm_lab.workers.pool import (
    ABANDON_AFTER,
    DEFAULT_WORKERS,
    MAX_WAIT,
    Job,
    JobCancelled,
    JobError,
    JobState,
    WorkerLost,
    WorkerPool,
)

__all__ = [
    "ABANDON_AFTER",
    "DEFAULT_WORKERS",
    "JOBS",
    "MAX_WAIT",
    "Job",
    "JobCancelled",
    "JobError",
    "JobState",
    "WorkerLost",
    "WorkerPool",
]
