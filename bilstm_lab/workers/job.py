"""One submitted job as the server sees it: its state, progress and outcome, and the page's
handles on it (stop, heartbeat, wait).

Pure standard library: the server imports it.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import TYPE_CHECKING, Any

from bilstm_lab.workers.errors import JobCancelled

if TYPE_CHECKING:
    # Only for annotations: the pool module imports this one.
    from bilstm_lab.workers.pool import WorkerPool

_job_ids = itertools.count(1)


class JobState:
    """Where a job is in its life (plain strings)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job:
    """One submitted job, as the server sees it (created by `WorkerPool.submit`).

    Attributes:
        id: unique within the server process.
        name: what was submitted (a `JOBS` key or ``"module.path:function"``).
        state: a `JobState` value.
        progress: the last object the job function reported (None before the first report).
        result: what the job function returned (when ``state`` is DONE). A job that honours a
            stop returns early, normally: its state is DONE and its result says it stopped.
        error: when FAILED, the job's own exception (same type and message when it could be
            pickled back), `WorkerLost` or `JobError`; when CANCELLED, a `JobCancelled`.
        worker_pid: the pid of the worker running it (None while queued).
    """

    def __init__(self, pool: WorkerPool, name: str, fn_path: str, payload_blob: bytes) -> None:
        self.id = next(_job_ids)
        self.name = name
        self.fn_path = fn_path
        self.state = JobState.QUEUED
        self.progress: Any = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.worker_pid: int | None = None
        self._pool = pool
        self._payload_blob: bytes | None = payload_blob
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._submitted = time.monotonic()
        self._last_seen = self._submitted

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name!r} {self.state}>"

    def stop(self) -> None:
        """Ask the job to stop (its function sees ``should_stop()``) or to leave the queue."""
        self._stop.set()
        self._pool._wake()

    def touch(self) -> None:
        """Heartbeat from the page: the session is still watching."""
        self._last_seen = time.monotonic()

    @property
    def stop_requested(self) -> bool:
        """Whether `stop` was called."""
        return self._stop.is_set()

    @property
    def abandoned(self) -> bool:
        """Whether nobody has called `touch` for longer than the pool's ``abandon_after``."""
        return time.monotonic() - self._last_seen > self._pool.abandon_after

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    def should_stop(self) -> bool:
        """True once stopped or abandoned."""
        return self.stop_requested or self.abandoned

    def position(self) -> int | None:
        """0 while running, 1 for the first in the queue, ..., None once it has ended."""
        return self._pool.position(self)

    def join(self, timeout: float | None = None) -> None:
        """Wait until the job has ended (or ``timeout`` passed). Does not `touch` the job."""
        self._finished.wait(timeout)

    def wait(self, timeout: float | None = None) -> Any:
        """Wait for the job's result, touching it meanwhile (a waiter is a watcher).

        Returns:
            The job's result (state DONE).

        Raises:
            TimeoutError: still active after ``timeout`` seconds (the job keeps going).
            JobCancelled: it left the queue without running.
            BaseException: the job's ``error`` when it FAILED.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        # Touch often enough that even a pool with a tiny ``abandon_after`` sees us watching.
        step = max(0.01, min(0.5, self._pool.abandon_after / 3))
        while not self._finished.is_set():
            self.touch()
            wait_for = step
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"job {self.id} ({self.name}) still {self.state}")
                wait_for = min(step, remaining)
            self._finished.wait(wait_for)
        if self.state == JobState.DONE:
            return self.result
        if self.error is not None:
            raise self.error
        raise JobCancelled(f"job {self.id} ({self.name}) was cancelled")

    def _finish(self, state: str, result: Any = None, error: BaseException | None = None) -> None:
        # Result and error first: a reader that sees the final state sees them too.
        self.result = result
        self.error = error
        self._payload_blob = None
        self.state = state
        self._finished.set()
