"""Run one job on one worker: send it, pass the worker's messages on, return how the job ended.

Runs on the job's own thread, which owns the worker's pipe while the worker is busy. The
messages are those of `bilstm_lab.workers.worker`. Every way a running job can end is decided
here: its result, its own error, a `JobError`, or a `WorkerLost`.

Pure standard library: the server imports it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from bilstm_lab.workers import worker as _worker
from bilstm_lab.workers.errors import JobError, WorkerLost, WorkerOutOfMemory
from bilstm_lab.workers.job import Job, JobState
from bilstm_lab.workers.process import WorkerProcess
from bilstm_lab.workers.settings import POLL_INTERVAL, POOL_LOGGER

_log = logging.getLogger(POOL_LOGGER)

#: ``(state, result, error)`` for `Job._finish`.
Outcome = tuple[str, Any, BaseException | None]


def relay(
    job: Job,
    w: WorkerProcess,
    *,
    stop_grace: float,
    on_ready: Callable[[WorkerProcess], None],
    pool_closed: Callable[[], bool],
) -> Outcome:
    """Send ``job`` to the busy worker ``w`` and relay its messages until the job ends.

    Args:
        stop_grace: seconds the job may ignore a stop before ``w`` is killed.
        on_ready: called when ``w`` says ``ready`` (it can still be warming up when it is taken).
        pool_closed: whether the pool has shut down (then a lost worker is no surprise).
    """
    w.stop_event.clear()  # cleared here, before "run": a stop right after it must stick
    try:
        w.conn.send(("run", job.id, job.fn_path, job._payload_blob))
    except (OSError, ValueError):
        return _lost(job, w, stop_grace, pool_closed())
    job._payload_blob = None
    return _follow(job, w, stop_grace, on_ready, pool_closed)


def _follow(
    job: Job,
    w: WorkerProcess,
    stop_grace: float,
    on_ready: Callable[[WorkerProcess], None],
    pool_closed: Callable[[], bool],
) -> Outcome:
    # The running job's life: pass a stop on (kill ``w`` if it is ignored), read the messages.
    stop_deadline: float | None = None
    while True:
        if stop_deadline is None and job.should_stop():
            w.stop_event.set()
            stop_deadline = time.monotonic() + stop_grace
        elif stop_deadline is not None and time.monotonic() > stop_deadline:
            w.kill()
            return _lost(job, w, stop_grace, pool_closed(), ignored_stop=True)
        try:
            message = _next_message(w)
        except (EOFError, OSError, ValueError):
            return _lost(job, w, stop_grace, pool_closed())
        if message is None:
            continue
        if message[0] == "ready":
            on_ready(w)
            continue
        if message[0] == "retiring":  # it ends after this job: no further job may go to it
            w.retiring = True
            continue
        outcome = _take_message(job, message)
        if outcome is not None:
            return outcome


def _next_message(w: WorkerProcess) -> tuple[Any, ...] | None:
    """The worker's next message; None if it sent nothing for `POLL_INTERVAL` seconds.

    Raises:
        EOFError, OSError, ValueError: the worker is gone.
    """
    if not w.conn.poll(POLL_INTERVAL):
        if not w.alive():
            raise EOFError
        return None
    return w.conn.recv()


def _take_message(job: Job, message: tuple[Any, ...]) -> Outcome | None:
    """Apply a worker's message about ``job``: its outcome when the job has ended, else None."""
    kind = message[0]
    if kind == "progress" and message[1] == job.id:
        # A progress object that cannot be read is skipped: the next one will do.
        with contextlib.suppress(Exception):
            job.progress = _worker.loads(message[2])
    elif kind == "done" and message[1] == job.id:
        try:
            return JobState.DONE, _worker.loads(message[2]), None
        except Exception as unreadable:
            text = f"the result could not be read in the server: {unreadable}"
            return JobState.FAILED, None, JobError(type(unreadable).__name__, text)
    elif kind == "error" and message[1] == job.id:
        return JobState.FAILED, None, _job_error(*message[2:])
    return None


def _job_error(blob: bytes | None, type_name: str, message: str) -> BaseException:
    """The exception for a worker's ``("error", ...)`` message: the job's own when readable."""
    if blob is not None:
        with contextlib.suppress(Exception):
            error = _worker.loads(blob)
            if isinstance(error, BaseException):
                return error
    return JobError(type_name, message)


def _lost(
    job: Job, w: WorkerProcess, stop_grace: float, pool_closed: bool, *, ignored_stop: bool = False
) -> Outcome:
    """``job`` FAILED with `WorkerLost`: its worker ``w`` is gone (the monitor replaces it)."""
    if pool_closed:
        shut_down = WorkerLost(f"job {job.id} ({job.name}): the worker pool was shut down")
        return JobState.FAILED, None, shut_down
    how = w.exit_description()
    if ignored_stop:
        text = (
            f"job {job.id} ({job.name}) did not stop within {stop_grace:g} s; "
            f"its worker process {w.pid} was killed and is being replaced"
        )
    else:
        text = (
            f"job {job.id} ({job.name}): worker process {w.pid} ended while running it "
            f"({how}; out of memory?); a new worker is being started"
        )
    _log.warning("%s", text)
    lost = WorkerOutOfMemory if not ignored_stop and w.out_of_memory else WorkerLost
    return JobState.FAILED, None, lost(text)
