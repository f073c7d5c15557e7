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

Threads on the server side: one per job (wait in the queue, then relay the worker's messages),
plus one monitor per pool (reads ``ready`` from idle workers, replaces dead ones). A worker's
pipe is read by exactly one of them at a time: the monitor while the worker is idle, the job's
thread while it is busy; ``busy`` changes only under the pool's lock.

Pure standard library: this module is imported by the server.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import time
import types
import warnings
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path
from typing import Any

from bilstm_lab.workers import worker as _worker
from bilstm_lab.workers.jobs import JOBS

_log = logging.getLogger(__name__)

#: The environment variable that sets `DEFAULT_WORKERS`.
WORKERS_ENV = "BILSTM_LAB_WORKERS"
#: Bounds for the number of workers (each one holds a TensorFlow runtime: a few hundred MB).
MIN_WORKERS, MAX_WORKERS = 1, 16
#: A job whose page has not polled for this long is treated as abandoned and stopped.
ABANDON_AFTER = 30.0
#: Longest a job waits in the queue before giving up.
MAX_WAIT = 600.0
#: How long a running job may ignore a stop before its worker is killed and replaced.
STOP_GRACE = 60.0
#: How often waiting threads re-check stop, abandonment and deadlines.
_POLL = 0.1


def _cpu_count() -> int:
    # The CPUs this process may use (a container's limit), not the machine's.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def workers_from_env(value: str | None, default: int) -> int:
    """The pool size from ``BILSTM_LAB_WORKERS``'s ``value``; ``default`` when unset or invalid.

    A bad value warns and falls back: a typo in a deployment must not stop the server.
    """
    if value is None or not value.strip():
        return default
    try:
        count = int(value.strip())
    except ValueError:
        count = 0
    if MIN_WORKERS <= count <= MAX_WORKERS:
        return count
    warnings.warn(
        f"{WORKERS_ENV}={value!r} is not a whole number from {MIN_WORKERS} to {MAX_WORKERS}; "
        f"using {default} workers",
        RuntimeWarning,
        stacklevel=2,
    )
    return default


#: Worker processes a pool starts by default: one per usable CPU (at most `MAX_WORKERS`),
#: or ``BILSTM_LAB_WORKERS``.
DEFAULT_WORKERS: int = workers_from_env(os.environ.get(WORKERS_ENV), min(_cpu_count(), MAX_WORKERS))


class JobState:
    """Where a job is in its life (plain strings)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class WorkerLost(RuntimeError):
    """The job's worker process died while running it (crash, SIGKILL, out of memory).

    Also raised for a job that ignored a stop for longer than the pool's ``stop_grace`` (its
    worker is killed) and for jobs still running when the pool shuts down.
    """


class JobCancelled(RuntimeError):
    """The job left the queue before it ran: stopped, abandoned, waited too long, or shutdown."""


class JobError(RuntimeError):
    """A job raised (or returned) something that could not be brought back to the server.

    Attributes:
        type_name: the class name of the original exception.
        message: its message (truncated if very long).
    """

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.type_name, self.message))


_job_ids = itertools.count(1)

# Serialises worker starts across pools: `_spawn_guard` swaps ``sys.modules["__main__"]``.
_START_LOCK = threading.Lock()

# The directory that holds the ``bilstm_lab`` package, for the child's ``sys.path`` (below).
_IMPORT_ROOT = str(Path(__file__).resolve().parents[2])

# What a worker process runs first. The target is the built-in ``exec``, so unpickling the
# process object in the child needs nothing of ours: under ``streamlit run`` the repository is
# on ``sys.path`` only while a script runs, and a worker started by the monitor between runs
# would otherwise die importing ``bilstm_lab`` (and be restarted, forever).
_BOOTSTRAP = """\
import sys
if import_root not in sys.path:
    sys.path.append(import_root)
from bilstm_lab.workers.worker import serve
serve(conn, stop_event, warm_modules)
"""


@contextlib.contextmanager
def _spawn_guard() -> Iterator[None]:
    """Keep a spawned child from re-running the server's ``__main__`` (call with `_START_LOCK`).

    "spawn" re-imports the parent's main module in each child unless it is a ``-m`` package
    main. Under ``streamlit run``, ``sys.modules["__main__"]`` is the *page script* (Streamlit
    installs it there): a worker would run the whole page, import Streamlit and Plotly, and try
    to create the pool again. Workers need nothing from ``__main__`` (payloads are pickled data,
    the job function is imported by name), so the child is shown a main module with no file.
    """
    main = sys.modules.get("__main__")
    placeholder = types.ModuleType("__main__")
    sys.modules["__main__"] = placeholder
    try:
        yield
    finally:
        # Streamlit may have installed the next page's module meanwhile: keep that one.
        if sys.modules.get("__main__") is placeholder and main is not None:
            sys.modules["__main__"] = main


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _job_error(blob: bytes | None, type_name: str, message: str) -> BaseException:
    """The exception for a worker's ``("error", ...)`` message: the job's own when readable."""
    if blob is not None:
        with contextlib.suppress(Exception):
            error = _worker.loads(blob)
            if isinstance(error, BaseException):
                return error
    return JobError(type_name, message)


class _Worker:
    """One worker process and the server's end of its pipe (state guarded by the pool's lock)."""

    def __init__(self, ctx: SpawnContext, warm_modules: tuple[str, ...]) -> None:
        server_end, worker_end = ctx.Pipe(duplex=True)
        self.stop_event = ctx.Event()
        self.process: SpawnProcess = ctx.Process(
            target=exec,
            args=(
                _BOOTSTRAP,
                {
                    "import_root": _IMPORT_ROOT,
                    "conn": worker_end,
                    "stop_event": self.stop_event,
                    "warm_modules": warm_modules,
                },
            ),
            name="bilstm-lab-worker",
            daemon=True,
        )
        try:
            with _START_LOCK, _spawn_guard():
                self.process.start()
        except BaseException:
            server_end.close()
            raise
        finally:
            # Our copy of the child's end must go, or the pipe never reports EOF when it dies.
            worker_end.close()
        self.conn: Connection = server_end
        self.pid: int = self.process.pid or 0
        self.ready = False
        self.busy = False
        # Set by the monitor once it has logged this worker's death (and is replacing it).
        self.death_noted = False
        self._closed = False
        self._close_lock = threading.Lock()

    def alive(self) -> bool:
        """Whether the process is running (its sentinel is not readable yet).

        Uses the sentinel rather than ``Process.is_alive`` so any thread may ask without
        racing another thread's ``waitpid``.
        """
        if self._closed:
            return False
        try:
            return not multiprocessing.connection.wait([self.process.sentinel], 0)
        except (OSError, ValueError):
            return False

    def exit_description(self, timeout: float = 1.0) -> str:
        """How the process ended (waits up to ``timeout`` for it to finish dying)."""
        try:
            self.process.join(timeout)
            return _describe_exit(self.process.exitcode)
        except (OSError, ValueError):
            return _describe_exit(None)

    def terminate(self) -> None:
        """Send SIGTERM (ignored errors: it may be gone already)."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.process.terminate()

    def kill(self) -> None:
        """Send SIGKILL (for a worker that ignores a stop)."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.process.kill()

    def close(self, timeout: float = 2.0) -> None:
        """Make sure the process is gone, reap it and free its pipe (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        with contextlib.suppress(OSError, ValueError):
            self.process.join(timeout)
            if self.process.exitcode is None:
                self.process.kill()
                self.process.join(1.0)
        with contextlib.suppress(OSError, ValueError):
            self.conn.close()
        with contextlib.suppress(OSError, ValueError):
            self.process.close()


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
        self._workers: list[_Worker] = []
        # Workers that die before ever being ready (a broken environment) are restarted with
        # a growing delay instead of in a tight loop.
        self._early_deaths = 0
        self._restart_not_before = 0.0
        try:
            for _ in range(size):
                self._workers.append(_Worker(self._ctx, self.warm_modules))
        except BaseException:
            for started in self._workers:
                started.terminate()
                started.close()
            raise
        self._monitor = threading.Thread(
            target=self._watch, name="bilstm-lab-pool-monitor", daemon=True
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
        if self._monitor is not threading.current_thread():
            self._monitor.join(2.0)
        for w in workers:
            w.terminate()
        for w in workers:
            # Busy workers' pipes are closed too: their job threads see EOF and finish.
            w.close()

    # -- internals ----------------------------------------------------------------------------

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _ready_count(self) -> int:
        return sum(1 for w in self._workers if w.ready and w.alive())

    def _mark_ready(self, w: _Worker) -> None:
        # Call with the lock held.
        if not w.ready:
            w.ready = True
            self._early_deaths = 0
            self._cond.notify_all()

    def _run(self, job: Job) -> None:
        """A job's thread: wait for a worker, run the job on it, always hand the worker back."""
        w = self._acquire(job)
        if w is None:
            return
        state, result, error = JobState.FAILED, None, None
        try:
            state, result, error = self._relay(job, w)
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

    def _acquire(self, job: Job) -> _Worker | None:
        """Wait first-come-first-served for an idle worker; None (job CANCELLED) if it gave up."""
        deadline = job._submitted + self.max_wait
        reason = ""
        with self._cond:
            try:
                while True:
                    if self._closed:
                        reason = "the worker pool was shut down"
                    elif job.stop_requested:
                        reason = "stopped while waiting in the queue"
                    elif job.abandoned:
                        reason = "abandoned while waiting in the queue (its page stopped polling)"
                    elif time.monotonic() >= deadline:
                        reason = f"waited more than {self.max_wait:g} s in the queue"
                    if reason:
                        break
                    if self._waiting and self._waiting[0] is job:
                        w = self._idle_worker()
                        if w is not None:
                            self._waiting.popleft()
                            w.busy = True
                            job.worker_pid = w.pid
                            job.state = JobState.RUNNING
                            # The next in line may fit on another idle worker: let it check.
                            self._cond.notify_all()
                            return w
                    self._cond.wait(_POLL)
            finally:
                if job in self._waiting:
                    self._waiting.remove(job)
                    self._cond.notify_all()
        job._finish(JobState.CANCELLED, error=JobCancelled(f"job {job.id} ({job.name}): {reason}"))
        return None

    def _idle_worker(self) -> _Worker | None:
        # Call with the lock held. Prefer a worker that has finished warming up; a warming one
        # is still fine (the job waits in its pipe), a dead one waits for the monitor.
        idle = [w for w in self._workers if not w.busy and w.alive()]
        for w in idle:
            if w.ready:
                return w
        return idle[0] if idle else None

    def _relay(self, job: Job, w: _Worker) -> tuple[str, Any, BaseException | None]:
        """Send ``job`` to worker ``w`` and relay its messages until it ends.

        Returns:
            ``(state, result, error)`` for `Job._finish`.
        """
        w.stop_event.clear()  # cleared here, before "run": a stop right after it must stick
        try:
            w.conn.send(("run", job.id, job.fn_path, job._payload_blob))
        except (OSError, ValueError):
            return JobState.FAILED, None, self._lost(job, w)
        job._payload_blob = None
        stop_deadline: float | None = None
        while True:
            if stop_deadline is None and job.should_stop():
                w.stop_event.set()
                stop_deadline = time.monotonic() + self.stop_grace
            elif stop_deadline is not None and time.monotonic() > stop_deadline:
                w.kill()
                return JobState.FAILED, None, self._lost(job, w, ignored_stop=True)
            try:
                if not w.conn.poll(_POLL):
                    if not w.alive():
                        raise EOFError
                    continue
                message = w.conn.recv()
            except (EOFError, OSError, ValueError):
                return JobState.FAILED, None, self._lost(job, w)
            kind = message[0]
            if kind == "ready":
                with self._cond:
                    self._mark_ready(w)
            elif kind == "progress" and message[1] == job.id:
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

    def _lost(self, job: Job, w: _Worker, *, ignored_stop: bool = False) -> WorkerLost:
        """The `WorkerLost` for ``job`` whose worker ``w`` is gone (the monitor replaces it)."""
        with self._cond:
            closed = self._closed
        if closed:
            return WorkerLost(f"job {job.id} ({job.name}): the worker pool was shut down")
        how = w.exit_description()
        if ignored_stop:
            text = (
                f"job {job.id} ({job.name}) did not stop within {self.stop_grace:g} s; "
                f"its worker process {w.pid} was killed and is being replaced"
            )
        else:
            text = (
                f"job {job.id} ({job.name}): worker process {w.pid} ended while running it "
                f"({how}; out of memory?); a new worker is being started"
            )
        _log.warning("%s", text)
        return WorkerLost(text)

    def _watch(self) -> None:
        """The monitor thread: read ``ready`` from idle workers, replace dead idle workers."""
        while True:
            with self._cond:
                if self._closed:
                    return
                idle = [w for w in self._workers if not w.busy]
                # Dead workers already seen are left out: their sentinels would wake us at once.
                watched = [w for w in idle if not w.death_noted]
                waitables: list[Any] = [w.process.sentinel for w in watched]
                waitables += [w.conn for w in watched if not w.ready]
            # Sleep until an idle worker dies or says something, or _POLL passes (a busy
            # worker may have become idle meanwhile). A pipe closed by `shutdown` meanwhile
            # raises here; the next round sees the pool closed.
            try:
                if waitables:
                    multiprocessing.connection.wait(waitables, _POLL)
                else:
                    time.sleep(_POLL)
            except (OSError, ValueError):
                time.sleep(_POLL)
            with self._cond:
                if self._closed:
                    return
                for w in idle:
                    if w.busy or w not in self._workers:
                        continue  # taken by a job meanwhile: its pipe is the job thread's now
                    if not w.alive():
                        self._replace(w)
                    elif not w.ready:
                        self._read_ready(w)

    def _read_ready(self, w: _Worker) -> None:
        # Call with the lock held, on an idle worker. Tiny messages: recv does not block.
        try:
            while w.conn.poll(0):
                if w.conn.recv()[0] == "ready":
                    self._mark_ready(w)
        except (EOFError, OSError, ValueError):
            pass  # it died: the next round replaces it

    def _replace(self, dead: _Worker) -> None:
        # Call with the lock held, on a dead idle worker.
        now = time.monotonic()
        if not dead.death_noted:
            dead.death_noted = True
            how = dead.exit_description(0.5)
            if dead.ready:
                _log.warning("worker process %s ended (%s); starting a new one", dead.pid, how)
            else:
                # Dying before "ready" again and again means a broken environment (an import
                # that crashes, no memory): back off 1, 2, 4 ... 30 s instead of spinning.
                self._early_deaths += 1
                delay = (
                    0.0 if self._early_deaths == 1 else min(30.0, 2.0 ** (self._early_deaths - 2))
                )
                self._restart_not_before = now + delay
                _log.warning(
                    "worker process %s died before it was ready (%s); restarting in %.0f s",
                    dead.pid,
                    how,
                    delay,
                )
        if now < self._restart_not_before:
            return  # a later round restarts it
        try:
            fresh = _Worker(self._ctx, self.warm_modules)
        except Exception:
            _log.exception("could not start a replacement worker; retrying in 1 s")
            self._restart_not_before = now + 1.0
            return
        self._workers[self._workers.index(dead)] = fresh
        dead.close(0.5)
        self._cond.notify_all()
