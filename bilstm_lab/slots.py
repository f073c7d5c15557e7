"""How many trainings run at once in this server process, and background jobs that wait their turn.

A classroom shares one Streamlit process (and, here, two CPU cores). `TrainingSlots` lets a
bounded number of trainings run; the rest wait in a first-come-first-served queue and can ask
for their position. A `Job` runs one piece of work on its own thread once it holds a slot,
and always gives the slot back (``try/finally``), whether the work finishes, fails, is stopped,
or its browser session goes quiet (no heartbeat for a while: the tab was closed).

Pure Python: no TensorFlow, no Streamlit; the work itself is passed in as a function.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

#: Trainings that may run at the same time (this machine has two cores).
DEFAULT_CAPACITY = 2
#: A job whose page has not polled for this long is treated as abandoned and stopped.
ABANDON_AFTER = 30.0
#: Longest a job waits in the queue before giving up.
MAX_WAIT = 600.0

_ticket_counter = itertools.count(1)


class TrainingSlots:
    """A first-come-first-served queue in front of ``capacity`` slots (thread-safe)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, received {capacity}")
        self.capacity = capacity
        self._lock = threading.Condition()
        self._running: set[int] = set()
        self._waiting: deque[int] = deque()

    def acquire(
        self,
        ticket: int,
        cancelled: Callable[[], bool] = lambda: False,
        timeout: float = MAX_WAIT,
        poll: float = 0.2,
    ) -> bool:
        """Queue ``ticket`` and wait until it holds a slot.

        Args:
            ticket: a unique id for the waiter.
            cancelled: polled while waiting; returning True leaves the queue.
            timeout: seconds to wait at most.
            poll: how often ``cancelled`` is checked.

        Returns:
            True when the slot is held (call `release`), False when cancelled or timed out
            (the ticket has left the queue).
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._waiting.append(ticket)
            try:
                while True:
                    if self._waiting[0] == ticket and len(self._running) < self.capacity:
                        self._waiting.popleft()
                        self._running.add(ticket)
                        # The next in line may also fit (capacity > 1): let it check.
                        self._lock.notify_all()
                        return True
                    if cancelled() or time.monotonic() >= deadline:
                        return False
                    self._lock.wait(poll)
            finally:
                if ticket in self._waiting and ticket not in self._running:
                    self._waiting.remove(ticket)
                    self._lock.notify_all()

    def release(self, ticket: int) -> None:
        """Give a slot back (a no-op for a ticket that holds none)."""
        with self._lock:
            self._running.discard(ticket)
            self._lock.notify_all()

    def position(self, ticket: int) -> int | None:
        """0 while running, 1 for the first in the queue, ..., ``None`` when unknown."""
        with self._lock:
            if ticket in self._running:
                return 0
            try:
                return self._waiting.index(ticket) + 1
            except ValueError:
                return None

    @property
    def running(self) -> int:
        """How many slots are taken."""
        with self._lock:
            return len(self._running)

    @property
    def waiting(self) -> int:
        """How many tickets are queued."""
        with self._lock:
            return len(self._waiting)


#: The process-wide slots every browser session shares.
SLOTS = TrainingSlots()


class JobState:
    """Where a job is in its life (plain strings)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: The work a job runs: it receives a ``should_stop`` function and a progress sink.
Work = Callable[[Callable[[], bool], Callable[[Any], None]], Any]


class Job:
    """One piece of work on its own thread, run once it holds a slot.

    Attributes:
        ticket: the job's place-holder in the slots' queue.
        state: a `JobState` value.
        progress: the last object the work reported.
        result: what the work returned (when ``state`` is DONE).
        error: the exception it raised (when FAILED).
    """

    def __init__(
        self,
        work: Work,
        slots: TrainingSlots = SLOTS,
        abandon_after: float = ABANDON_AFTER,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.ticket = next(_ticket_counter)
        self.state = JobState.QUEUED
        self.progress: Any = None
        self.result: Any = None
        self.error: BaseException | None = None
        self._work = work
        self._slots = slots
        self._abandon_after = abandon_after
        self._max_wait = max_wait
        self._stop = threading.Event()
        self._last_seen = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name=f"training-{self.ticket}", daemon=True
        )

    def start(self) -> Job:
        """Start the thread; returns the job."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the work to stop (it finishes its current batch), or leave the queue."""
        self._stop.set()

    def touch(self) -> None:
        """Heartbeat from the page: the session is still watching."""
        self._last_seen = time.monotonic()

    @property
    def stop_requested(self) -> bool:
        """Whether `stop` was called."""
        return self._stop.is_set()

    @property
    def abandoned(self) -> bool:
        """Whether the page has stopped polling for longer than ``abandon_after``."""
        return time.monotonic() - self._last_seen > self._abandon_after

    def should_stop(self) -> bool:
        """True once stopped or abandoned."""
        return self._stop.is_set() or self.abandoned

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    def position(self) -> int | None:
        """Queue position (0 = running), see `TrainingSlots.position`."""
        return self._slots.position(self.ticket)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end."""
        self._thread.join(timeout)

    def _report(self, progress: Any) -> None:
        self.progress = progress

    def _run(self) -> None:
        if not self._slots.acquire(self.ticket, self.should_stop, timeout=self._max_wait):
            self.state = JobState.CANCELLED
            return
        try:
            self.state = JobState.RUNNING
            self.result = self._work(self.should_stop, self._report)
            self.state = JobState.DONE
        except Exception as error:  # shown on the page; the slot is freed below either way
            self.error = error
            self.state = JobState.FAILED
        finally:
            self._slots.release(self.ticket)
