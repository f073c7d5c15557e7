"""The pool's monitor thread: it reads ``ready`` from idle workers and replaces dead ones.

A worker's pipe is read by exactly one thread at a time: this one while the worker is idle,
the job's thread (`bilstm_lab.workers.relay`) while it is busy. The monitor therefore shares
the pool's condition, whose lock guards the list of workers and each worker's flags.

Pure standard library: the server imports it.
"""

from __future__ import annotations

import logging
import multiprocessing.connection
import threading
import time
from collections.abc import Callable
from typing import Any

from bilstm_lab.workers.process import WorkerProcess
from bilstm_lab.workers.settings import POLL_INTERVAL, POOL_LOGGER

_log = logging.getLogger(POOL_LOGGER)


class WorkerMonitor:
    """Keeps a pool's idle workers healthy from one daemon thread (`start`, `join`)."""

    def __init__(
        self,
        cond: threading.Condition,
        workers: list[WorkerProcess],
        start_worker: Callable[[], WorkerProcess],
        closed: Callable[[], bool],
    ) -> None:
        """Watch ``workers`` (the pool's own list: a dead worker is replaced in place).

        Args:
            cond: the pool's condition; its lock guards ``workers`` and their flags.
            start_worker: starts a replacement worker.
            closed: whether the pool has shut down.
        """
        self._cond = cond
        self._workers = workers
        self._start_worker = start_worker
        self._closed = closed
        # Workers that die before ever being ready (a broken environment) are restarted with
        # a growing delay instead of in a tight loop.
        self._early_deaths = 0
        self._restart_not_before = 0.0
        self._thread = threading.Thread(
            target=self._watch, name="bilstm-lab-pool-monitor", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the thread to end (after the pool closed), unless this is that thread."""
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def mark_ready(self, w: WorkerProcess) -> None:
        """Record that ``w`` said ``ready`` (call with the lock held)."""
        if not w.ready:
            w.ready = True
            self._early_deaths = 0
            self._cond.notify_all()

    def _watch(self) -> None:
        while True:
            with self._cond:
                if self._closed():
                    return
                idle = [w for w in self._workers if not w.busy]
                # Dead workers already seen are left out: their sentinels would wake us at once.
                watched = [w for w in idle if not w.death_noted]
                waitables: list[Any] = [w.process.sentinel for w in watched]
                waitables += [w.conn for w in watched if not w.ready]
            _sleep_until_news(waitables)
            with self._cond:
                if self._closed():
                    return
                for w in idle:
                    if w.busy or w not in self._workers:
                        continue  # taken by a job meanwhile: its pipe is the job thread's now
                    if not w.alive():
                        self._replace(w)
                    elif not w.ready:
                        self._read_ready(w)

    def _read_ready(self, w: WorkerProcess) -> None:
        # Call with the lock held, on an idle worker. Tiny messages: recv does not block.
        try:
            while w.conn.poll(0):
                if w.conn.recv()[0] == "ready":
                    self.mark_ready(w)
        except (EOFError, OSError, ValueError):
            pass  # it died: the next round replaces it

    def _replace(self, dead: WorkerProcess) -> None:
        # Call with the lock held, on a dead idle worker.
        now = time.monotonic()
        if not dead.death_noted:
            self._note_death(dead, now)
        if now < self._restart_not_before:
            return  # a later round restarts it
        try:
            fresh = self._start_worker()
        except Exception:
            _log.exception("could not start a replacement worker; retrying in 1 s")
            self._restart_not_before = now + 1.0
            return
        self._workers[self._workers.index(dead)] = fresh
        dead.close(0.5)
        self._cond.notify_all()

    def _note_death(self, dead: WorkerProcess, now: float) -> None:
        # Call with the lock held, once per dead worker: log it and set when to restart it.
        dead.death_noted = True
        how = dead.exit_description(0.5)
        if dead.ready:
            _log.warning("worker process %s ended (%s); starting a new one", dead.pid, how)
            return
        # Dying before "ready" again and again means a broken environment (an import that
        # crashes, no memory): back off 1, 2, 4 ... 30 s instead of spinning.
        self._early_deaths += 1
        delay = 0.0 if self._early_deaths == 1 else min(30.0, 2.0 ** (self._early_deaths - 2))
        self._restart_not_before = now + delay
        _log.warning(
            "worker process %s died before it was ready (%s); restarting in %.0f s",
            dead.pid,
            how,
            delay,
        )


def _sleep_until_news(waitables: list[Any]) -> None:
    """Sleep until an idle worker dies or says something, or `POLL_INTERVAL` passes.

    The timeout matters too: a busy worker may have become idle meanwhile. A pipe closed by
    the pool's shutdown meanwhile raises here; the next round sees the pool closed.
    """
    try:
        if waitables:
            multiprocessing.connection.wait(waitables, POLL_INTERVAL)
        else:
            time.sleep(POLL_INTERVAL)
    except (OSError, ValueError):
        time.sleep(POLL_INTERVAL)
