"""The worker side of the pool: a process that imports TensorFlow once, then runs jobs forever.

`serve` is what each worker process runs. It imports the warm modules (so a visitor's first
training does not pay several seconds of ``import tensorflow``), says ``("ready", pid)`` and then
answers ``("run", job_id, "module.path:function", payload_pickle)`` messages one at a time:

- ``("progress", job_id, pickle)`` for each object the job reports,
- then ``("done", job_id, pickle)`` with its return value, or
  ``("error", job_id, pickle_or_None, type_name, message)`` when it raised.

While a job runs, a watchdog thread reads the worker's resident memory every `MEMORY_POLL`
seconds and ends the process (exit code `MEMORY_EXIT_CODE`) past ``BILSTM_LAB_WORKER_MAX_MB``:
a job that blows up costs its worker, never the server (the relay reports `WorkerOutOfMemory`).
A worker still holding more than ``BILSTM_LAB_WORKER_RECYCLE_MB`` after a job retires once its
result is sent, and the pool starts a fresh one at the baseline.
Workers also ask the kernel to pick them first when the machine runs out of memory
(``oom_score_adj``), so the server is the last process it would kill.

Everything the worker sends is pickled here, with a pickler that refuses objects from
`HEAVY_MODULES`: unpickling them in the server would import TensorFlow there, the very thing
the pool exists to prevent. The server unpickles with the same rule (`loads`), so a job that
returns a Keras object fails with a clear message instead of slowly loading TensorFlow into the
Streamlit process.

Import-light on purpose (stdlib only): this module is imported by the server too.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

from bilstm_lab.workers.settings import (
    MEMORY_EXIT_CODE,
    MEMORY_POLL,
    WORKER_MEMORY_ENV,
    WORKER_NICENESS,
    WORKER_RECYCLE_ENV,
    worker_memory_mb,
    worker_recycle_mb,
)

#: Top-level packages whose objects may not cross to the server (unpickling imports them).
HEAVY_MODULES = frozenset({"tensorflow", "keras", "tf_keras", "tensorboard", "torch", "jax"})

#: Longest error message sent to the server; TensorFlow's can run to pages of graph trace.
MAX_MESSAGE = 2000

#: What a job function looks like: ``fn(payload, report, should_stop) -> result``.
JobFunction = Callable[[Any, Callable[[Any], None], Callable[[], bool]], Any]


def _is_heavy(module: object) -> bool:
    return isinstance(module, str) and module.partition(".")[0] in HEAVY_MODULES


class _ServerSafePickler(pickle.Pickler):
    """A pickler that raises `TypeError` on any object, class or function from a heavy module."""

    def persistent_id(self, obj: Any) -> None:
        # Called for every object pickled, before it is saved: the earliest place to check.
        modules: list[object] = [type(obj).__module__]
        if isinstance(obj, type) or callable(obj):
            modules.append(getattr(obj, "__module__", None))
        for module in modules:
            if _is_heavy(module):
                raise TypeError(
                    f"{type(obj).__name__} object from {module!r} cannot be sent to the server "
                    "(unpickling it there would import that package); send plain Python or "
                    "NumPy data instead"
                )
        return None


class _ServerSafeUnpickler(pickle.Unpickler):
    """An unpickler that refuses to import anything from a heavy module."""

    def find_class(self, module: str, name: str) -> Any:
        if _is_heavy(module):
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} in the server process (it would import "
                f"{module.partition('.')[0]})"
            )
        return super().find_class(module, name)


def dumps(obj: Any) -> bytes:
    """Pickle ``obj`` for the server.

    Raises:
        TypeError: ``obj`` holds something from `HEAVY_MODULES`.
        pickle.PicklingError: ``obj`` cannot be pickled at all.
    """
    buffer = io.BytesIO()
    _ServerSafePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """Unpickle worker output in the server, never importing a module from `HEAVY_MODULES`.

    Raises:
        pickle.UnpicklingError: the data refers to a heavy module.
        Exception: anything unpickling itself raises (a class that no longer exists, ...).
    """
    return _ServerSafeUnpickler(io.BytesIO(data)).load()


def resolve(fn_path: str) -> JobFunction:
    """Import ``"module.path:function"`` (``function`` may be dotted) and return the function.

    Raises:
        ValueError: ``fn_path`` has no ``:``.
        ImportError, AttributeError: the module or function does not exist.
    """
    module_name, sep, attribute = fn_path.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"a job must be 'module.path:function', received {fn_path!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{fn_path} is not callable")
    fn: JobFunction = target
    return fn


def _log(text: str) -> None:
    print(f"[bilstm-lab worker {os.getpid()}] {text}", file=sys.stderr, flush=True)


def _short(error: BaseException) -> str:
    message = str(error)
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + " …"


def _error_message(job_id: int, error: BaseException) -> tuple[Any, ...]:
    """The ``("error", ...)`` message: the exception itself when it survives a pickle round trip.

    The round trip matters: an exception whose ``__init__`` takes other arguments than it passes
    to ``Exception.__init__`` pickles fine but fails to unpickle, which the server would only
    discover after the fact. Tracebacks are never sent (pickle drops ``__traceback__``).
    """
    blob: bytes | None
    try:
        blob = dumps(error)
        pickle.loads(blob)
    except Exception:
        blob = None
    return ("error", job_id, blob, type(error).__name__, _short(error))


def resident_mb() -> float | None:
    """This process's resident memory in MB (Linux ``/proc``), None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


class MemoryWatchdog:
    """Ends this worker process when its resident memory passes ``limit_mb`` during a job.

    A daemon thread polls every ``interval`` seconds while a job runs (between jobs it sleeps).
    Ending the process is the only way to take memory back from a job stuck inside a native
    allocation, and it costs one worker: the server sees the pipe close, fails only that job
    (`WorkerOutOfMemory`) and starts a replacement.
    """

    def __init__(self, limit_mb: float, interval: float = MEMORY_POLL) -> None:
        self.limit_mb = limit_mb
        self.interval = interval
        self._job: tuple[int, str] | None = None
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="memory-watchdog", daemon=True)

    def start(self) -> MemoryWatchdog:
        if resident_mb() is not None:  # no /proc: nothing to watch with
            self._thread.start()
        return self

    @contextlib.contextmanager
    def watching(self, job_id: int, fn_path: str) -> Any:
        """Watch while the ``with`` block runs one job."""
        self._job = (job_id, fn_path)
        self._running.set()
        try:
            yield
        finally:
            self._running.clear()
            self._job = None

    def over_limit(self) -> bool:
        """Whether this process's resident memory is above the ceiling now."""
        used = resident_mb()
        return used is not None and used > self.limit_mb

    def _watch(self) -> None:
        while True:
            self._running.wait()
            time.sleep(self.interval)
            job, used = self._job, resident_mb()
            if job is not None and used is not None and used > self.limit_mb:
                _log(
                    f"job {job[0]} ({job[1]}) took {used:.0f} MB, over this worker's limit of "
                    f"{self.limit_mb:.0f} MB ({WORKER_MEMORY_ENV}): ending the worker"
                )
                os._exit(MEMORY_EXIT_CODE)


def _prefer_me_when_out_of_memory() -> None:
    """Ask the kernel's out-of-memory killer to pick this worker before the server."""
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as adjust:
        adjust.write("1000")


def _forget_job_state() -> None:
    """Free what the last job left behind (its models, tensors) before the next one starts.

    No ``keras.backend.clear_session()``: the lab never resets Keras's global state (DESIGN);
    jobs name every layer from the spec, so Keras's automatic name counters never show.
    """
    gc.collect()


def run_job(
    send: Callable[[tuple[Any, ...]], None],
    stop_event: Event,
    job_id: int,
    fn_path: str,
    payload_blob: bytes,
) -> None:
    """Run one job and send its outcome (``done`` or ``error``) with ``send``.

    Raises:
        OSError: the server's end of the pipe is gone (the caller then exits).
    """
    parent = os.getppid()

    def report(obj: Any) -> None:
        send(("progress", job_id, dumps(obj)))

    def should_stop() -> bool:
        # The server sets the event; a re-parented worker means the server died: stop too.
        return stop_event.is_set() or os.getppid() != parent

    try:
        payload = pickle.loads(payload_blob)
        result = resolve(fn_path)(payload, report, should_stop)
    except Exception as error:
        # Only the type and message: the page shows its own text, and the log stays readable.
        _log(f"job {job_id} ({fn_path}) failed: {type(error).__name__}: {_short(error)}")
        send(_error_message(job_id, error))
        return
    try:
        blob = dumps(result)
    except Exception as error:
        _log(f"job {job_id} ({fn_path}): result not sendable: {type(error).__name__}")
        send(
            (
                "error",
                job_id,
                None,
                type(error).__name__,
                f"the result of {fn_path} could not be sent to the server: {_short(error)}",
            )
        )
        return
    send(("done", job_id, blob))


def _retire_reason(watchdog: MemoryWatchdog, recycle_mb: int) -> str:
    """Why this worker should not take another job after the current one ('' if it may)."""
    if watchdog.over_limit():
        return "over its memory limit"
    held = resident_mb()
    if held is not None and held > recycle_mb:  # a fresh worker starts at its baseline
        return f"holding {held:.0f} MB (over {recycle_mb} MB, {WORKER_RECYCLE_ENV})"
    return ""


def _announcing_retirement(
    send: Callable[[tuple[Any, ...]], None],
    watchdog: MemoryWatchdog,
    recycle_mb: int,
    retiring: list[str],
) -> Callable[[tuple[Any, ...]], None]:
    """``send`` for one job: before its result goes out, decide whether this worker retires
    after it (the reason lands in ``retiring``) and say so first — once the server has the
    result it may hand this worker the next job, which must not land here."""

    def send_result(message: tuple[Any, ...]) -> None:
        if message[0] in ("done", "error") and not retiring:
            reason = _retire_reason(watchdog, recycle_mb)
            if reason:
                retiring.append(reason)
                send(("retiring", os.getpid()))
        send(message)

    return send_result


def _warm_up(name: str) -> None:
    """Import ``name``, or for ``"module:function"`` import the module and call the function.

    A warm-up function (e.g. a tiny training) pays TensorFlow's first-trace costs before the
    worker says ready, so the first user's job does not.
    """
    module_name, _, function = name.partition(":")
    module = importlib.import_module(module_name)
    if function:
        getattr(module, function)()


def serve(conn: Connection, stop_event: Event, warm_modules: tuple[str, ...] = ()) -> None:
    """A worker process's whole life: warm up, say ready, run jobs until the server goes away.

    Args:
        conn: this worker's end of the duplex pipe to the server.
        stop_event: set by the server to ask the running job to stop; it is cleared by the
            server before each job, never here (a stop sent right after ``run`` must stick).
        warm_modules: modules to import before saying ready, or ``"module:function"`` warm-ups
            to call (no arguments) after the imports; a failure is logged, not fatal (a job that
            needs the module will then fail with the real import error).
    """
    # Before TensorFlow is imported: its C++ logging reads this once.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Ctrl+C in the terminal reaches the whole process group; the server decides when we end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _prefer_me_when_out_of_memory()
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)  # the server's reruns come first (see settings)
    limit_mb = worker_memory_mb(os.environ.get(WORKER_MEMORY_ENV))
    recycle_mb = worker_recycle_mb(os.environ.get(WORKER_RECYCLE_ENV))
    watchdog = MemoryWatchdog(limit_mb, interval=MEMORY_POLL).start()
    started = time.monotonic()
    for name in warm_modules:
        try:
            _warm_up(name)
        except Exception as error:
            _log(f"could not preload {name}: {type(error).__name__}: {_short(error)}")

    # A job may report from several threads (callbacks); messages must not interleave.
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            conn.send(message)

    try:
        send(("ready", os.getpid()))
        if warm_modules:  # one line in the server's log: when the first Train will be quick
            _log(f"ready ({', '.join(warm_modules)}) in {time.monotonic() - started:.1f} s")
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return  # the server closed the pipe or exited: nothing left to serve
            if message[0] != "run":
                return  # ("exit",) or anything unexpected: end cleanly
            _, job_id, fn_path, payload_blob = message
            retiring: list[str] = []
            send_result = _announcing_retirement(send, watchdog, recycle_mb, retiring)
            try:
                with watchdog.watching(job_id, fn_path):
                    run_job(send_result, stop_event, job_id, fn_path, payload_blob)
            finally:
                _forget_job_state()
            if retiring:
                _log(f"job {job_id} ({fn_path}) left this worker {retiring[0]}: retiring")
                return
    except OSError:
        return  # broken pipe: the server is gone
