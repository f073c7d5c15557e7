"""Warm worker processes that run all Keras work, so the Streamlit server never imports it.

``from bilstm_lab.workers import WorkerPool`` is safe in the server: this package imports only
the standard library. See `bilstm_lab.workers.pool` for the design. The modules:

- `pool`: `WorkerPool`, the queue of jobs and who runs which job where.
- `job`: `Job` and `JobState`, a submitted job as the server sees it.
- `errors`: `WorkerLost`, `JobCancelled`, `JobError`.
- `settings`: pool size (``BILSTM_LAB_WORKERS``) and time limits.
- `process`: one worker process, started safely under ``streamlit run``.
- `relay`: runs one job on one worker and turns its messages into an outcome.
- `monitor`: notices when idle workers are ready and replaces dead ones.
- `worker`: what runs inside a worker process; `jobs`: job names.
"""

from __future__ import annotations

from bilstm_lab.workers.errors import JobCancelled, JobError, WorkerLost
from bilstm_lab.workers.job import Job, JobState
from bilstm_lab.workers.jobs import JOBS
from bilstm_lab.workers.pool import WorkerPool
from bilstm_lab.workers.settings import ABANDON_AFTER, DEFAULT_WORKERS, MAX_WAIT

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
