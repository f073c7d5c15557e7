"""One worker process and the server's end of its pipe: start it safely, ask whether it is
alive, end it, and say how it ended.

Pure standard library: the server imports it (the child imports `bilstm_lab.workers.worker`).
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import signal
import sys
import threading
import types
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.synchronize import Event
from pathlib import Path

from bilstm_lab.workers.settings import MEMORY_EXIT_CODE, WORKER_MEMORY_ENV

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
    if code == MEMORY_EXIT_CODE:
        return f"it ended itself over its memory limit, {WORKER_MEMORY_ENV}"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _bootstrap_process(
    ctx: SpawnContext, worker_end: Connection, stop_event: Event, warm_modules: tuple[str, ...]
) -> SpawnProcess:
    """A not-yet-started process that runs `_BOOTSTRAP`, then serves jobs on ``worker_end``."""
    return ctx.Process(
        target=exec,
        args=(
            _BOOTSTRAP,
            {
                "import_root": _IMPORT_ROOT,
                "conn": worker_end,
                "stop_event": stop_event,
                "warm_modules": warm_modules,
            },
        ),
        name="bilstm-lab-worker",
        daemon=True,
    )


class WorkerProcess:
    """One worker process and the server's end of its pipe (state guarded by the pool's lock).

    Attributes:
        conn: the server's end of the duplex pipe.
        stop_event: set to ask the running job to stop.
        pid: the process id (0 if the start did not report one).
        ready: the worker has said ``ready`` (its warm modules are imported).
        busy: a job holds this worker (its thread, not the monitor, reads the pipe).
        death_noted: the monitor has logged this worker's death (and is replacing it).
        retiring: the worker said it ends after its current job (memory it will not give back).
    """

    def __init__(self, ctx: SpawnContext, warm_modules: tuple[str, ...]) -> None:
        """Start the process; returns before it is ready."""
        server_end, worker_end = ctx.Pipe(duplex=True)
        self.stop_event = ctx.Event()
        self.process = _bootstrap_process(ctx, worker_end, self.stop_event, warm_modules)
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
        self.death_noted = False
        self.retiring = False
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

    @property
    def out_of_memory(self) -> bool:
        """Whether the process ended itself over its memory ceiling (call after it ended)."""
        try:
            return self.process.exitcode == MEMORY_EXIT_CODE
        except ValueError:  # the process object was closed
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
