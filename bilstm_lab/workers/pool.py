"""A pool of warm worker processes that run every piece of Keras work for the server.

The Streamlit server never imports TensorFlow: it would cost the server hundreds of MB and
seconds per restart, and a crash or out-of-memory in Keras would take every session down with
it. Instead `WorkerPool` starts a few processes (``multiprocessing``, "spawn": no copy of the
server's threads or locks) that import TensorFlow once and then run jobs one at a time.

Semantics carried over from the thread-based ``bilstm_lab.slots``: jobs wait in one
first-come-first-served queue (`Job.position`), a job whose page stops polling (`Job.touch`)
for `ABANDON_AFTER` seconds is stopped, a job waits in the queue at most `MAX_WAIT` seconds,
Stop is honoured between batches (the job function polls ``should_stop``), and a worker is
always handed back (``finally``). New here: a worker that dies (crash, SIGKILL, out of memory)
fails only its own job (`WorkerLost`) and is replaced by a fresh process.

Threads on the server side: one per job (wait in the queue, then relay the worker's messages:
`bilstm_lab.workers.relay`), plus one monitor per pool (reads ``ready`` from idle workers,
replaces dead ones: `bilstm_lab.workers.monitor`). A worker's pipe is read by exactly one of
them at a time: the monitor while the worker is idle, the job's thread while it is busy;
``busy`` changes only under the pool's lock.

Pure standard library: this module is imported by the server.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import pickle
import threading
import time
from collections import deque

from bilstm_lab.workers.errors import JobCancelled
from bilstm_lab.workers.job import Job, JobState
from bilstm_lab.workers.jobs import JOBS
from bilstm_lab.workers.monitor import WorkerMonitor
from bilstm_lab.workers.process import WorkerProcess
from bilstm_lab.workers.relay import relay
from bilstm_lab.workers.settings import (
    ABANDON_AFTER,
    DEFAULT_WORKERS,
    MAX_WAIT,
    POLL_INTERVAL,
    POOL_LOGGER,
    STOP_GRACE,
)

_log = logging.getLogger(POOL_LOGGER)


class WorkerPool:
    """A fixed number of warm worker processes and a first-come-first-served queue of jobs.

    Thread-safe: every Streamlit session submits to the same pool.

    Attributes:
        size: how many worker processes the pool keeps alive.
        warm_modules: what each worker imports before it reports ready.
        max_wait: longest a job waits in the queue (seconds).
        abandon_after: seconds without `Job.touch` before a job is stopped.
        stop_grace: seconds a running job may ignore a stop before its worker is killed.
    """

    def __init__(
        self,
        size: int | None = None,
        *,
        warm_modules: tuple[str, ...] = ("tensorflow", "keras"),
        max_wait: float = MAX_WAIT,
        abandon_after: float = ABANDON_AFTER,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        """Start ``size`` workers (default `DEFAULT_WORKERS`); returns before they are ready.

        Raises:
            ValueError: ``size`` is below 1.
        """
        size = DEFAULT_WORKERS if size is None else size
        if size < 1:
            raise ValueError(f"a pool needs at least 1 worker, received {size}")
        self.size = size
        self.warm_modules = tuple(warm_modules)
        self.max_wait = max_wait
        self.abandon_after = abandon_after
        self.stop_grace = stop_grace
        self._ctx = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._closed = False
        self._waiting: deque[Job] = deque()
        self._workers: list[WorkerProcess] = []
        try:
            for _ in range(size):
                self._workers.append(self._start_worker())
        except BaseException:
            for started in self._workers:
                started.terminate()
                started.close()
            raise
        self._monitor = WorkerMonitor(
            self._cond, self._workers, self._start_worker, self._is_closed
        )
        self._monitor.start()
        atexit.register(self.shutdown)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- public API ---------------------------------------------------------------------------

    def submit(self, job: str, payload: object = None) -> Job:
        """Queue a job and return at once; it runs when a worker is free and it is first in line.

        Args:
            job: a key of `JOBS`, or ``"module.path:function"`` of a function
                ``fn(payload, report, should_stop)`` (imported in the worker, never here).
            payload: its argument; pickled now, so later changes to it do not reach the job.

        Raises:
            ValueError: ``job`` is neither a known name nor ``"module.path:function"``.
            RuntimeError: the pool has been shut down.
            pickle.PicklingError, TypeError, AttributeError: ``payload`` cannot be pickled.
        """
        fn_path = JOBS.get(job, job)
        module_name, sep, function = fn_path.partition(":")
        if not (sep and module_name and function):
            raise ValueError(
                f"unknown job {job!r}: expected one of {sorted(JOBS)} or 'module.path:function'"
            )
        blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        new = Job(self, job, fn_path, blob)
        with self._cond:
            if self._closed:
                raise RuntimeError("the worker pool has been shut down")
            # Queued here, not by the job's thread: threads start in no particular order,
            # and first-come-first-served means the order of `submit` calls.
            self._waiting.append(new)
            self._cond.notify_all()
        threading.Thread(target=self._run, args=(new,), name=f"job-{new.id}", daemon=True).start()
        return new

    def pids(self) -> list[int]:
        """The pids of the live worker processes."""
        with self._cond:
            return [w.pid for w in self._workers if w.alive()]

    def alive(self) -> int:
        """How many worker processes are alive."""
        with self._cond:
            return sum(1 for w in self._workers if w.alive())

    def ready(self) -> int:
        """How many live workers have finished importing the warm modules."""
        with self._cond:
            return self._ready_count()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until all ``size`` workers are ready; False if ``timeout`` passed first."""
        with self._cond:
            return (
                self._cond.wait_for(
                    lambda: self._closed or self._ready_count() >= self.size, timeout
                )
                and not self._closed
            )

    @property
    def running(self) -> int:
        """How many jobs hold a worker."""
        with self._cond:
            return sum(1 for w in self._workers if w.busy)

    @property
    def waiting(self) -> int:
        """How many jobs are queued."""
        with self._cond:
            return len(self._waiting)

    def position(self, job: Job) -> int | None:
        """0 while ``job`` runs, 1 for the first in the queue, ..., None when unknown or ended."""
        with self._cond:
            if job.state == JobState.RUNNING:
                return 0
            try:
                return self._waiting.index(job) + 1
            except ValueError:
                return None

    def shutdown(self) -> None:
        """Stop every worker (terminate, then reap) and cancel queued jobs; idempotent.

        Jobs still running end FAILED with `WorkerLost`. Also runs at interpreter exit.
        """
        with self._cond:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
            self._cond.notify_all()
        atexit.unregister(self.shutdown)
        self._monitor.join(2.0)
        for w in workers:
            w.terminate()
        for w in workers:
            # Busy workers' pipes are closed too: their job threads see EOF and finish.
            w.close()

    # -- internals ----------------------------------------------------------------------------

    def _start_worker(self) -> WorkerProcess:
        return WorkerProcess(self._ctx, self.warm_modules)

    def _is_closed(self) -> bool:
        with self._cond:
            return self._closed

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _ready_count(self) -> int:
        return sum(1 for w in self._workers if w.ready and not w.retiring and w.alive())

    def _on_ready(self, w: WorkerProcess) -> None:
        # A busy worker's "ready" reaches its job's thread, not the monitor.
        with self._cond:
            self._monitor.mark_ready(w)

    def _run(self, job: Job) -> None:
        """A job's thread: wait for a worker, run the job on it, always hand the worker back."""
        w = self._acquire(job)
        if w is None:
            return
        state, result, error = JobState.FAILED, None, None
        try:
            state, result, error = relay(
                job,
                w,
                stop_grace=self.stop_grace,
                on_ready=self._on_ready,
                pool_closed=self._is_closed,
            )
        except Exception as unexpected:  # a bug here must not leave the job "running" forever
            _log.exception("job %s: unexpected error while relaying", job.id)
            error = unexpected
        finally:
            with self._cond:
                w.busy = False
                self._cond.notify_all()
                closed = self._closed
            if closed:
                w.close()
            # Published after the worker is free: an ended job never still counts as running.
            job._finish(state, result, error)

    def _acquire(self, job: Job) -> WorkerProcess | None:
        """Wait first-come-first-served for an idle worker; None (job CANCELLED) if it gave up."""
        deadline = job._submitted + self.max_wait
        with self._cond:
            try:
                while not (reason := self._reason_to_give_up(job, deadline)):
                    w = self._dispatch(job)
                    if w is not None:
                        return w
                    self._cond.wait(POLL_INTERVAL)
            finally:
                if job in self._waiting:
                    self._waiting.remove(job)
                    self._cond.notify_all()
        job._finish(JobState.CANCELLED, error=JobCancelled(f"job {job.id} ({job.name}): {reason}"))
        return None

    def _reason_to_give_up(self, job: Job, deadline: float) -> str:
        # Call with the lock held. Empty while ``job`` should keep waiting in the queue.
        if self._closed:
            return "the worker pool was shut down"
        if job.stop_requested:
            return "stopped while waiting in the queue"
        if job.abandoned:
            return "abandoned while waiting in the queue (its page stopped polling)"
        if time.monotonic() >= deadline:
            return f"waited more than {self.max_wait:g} s in the queue"
        return ""

    def _dispatch(self, job: Job) -> WorkerProcess | None:
        # Call with the lock held. Only the head of the queue may take an idle worker.
        if not (self._waiting and self._waiting[0] is job):
            return None
        w = self._idle_worker()
        if w is None:
            return None
        self._waiting.popleft()
        w.busy = True
        job.worker_pid = w.pid
        job.state = JobState.RUNNING
        # The next in line may fit on another idle worker: let it check.
        self._cond.notify_all()
        return w

    def _idle_worker(self) -> WorkerProcess | None:
        # Call with the lock held. Prefer a worker that has finished warming up; a warming one
        # is still fine (the job waits in its pipe), a dead one waits for the monitor.
        idle = [w for w in self._workers if not w.busy and not w.retiring and w.alive()]
        for w in idle:
            if w.ready:
                return w
        return idle[0] if idle else None
