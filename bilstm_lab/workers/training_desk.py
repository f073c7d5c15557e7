"""Who may start a training, and one run for many identical requests (issues 14 and 15).

A class following the teacher's link presses Train on the *same* settings and run number: those
requests are the same run, so the desk trains it once. A request equal to a run that is queued
or running joins it (every session watches the same live curves); one equal to a run that ended
on its own gets the recorded result at once. Both are labelled as shared on the page.

Fairness, enforced here on the server (the page's disabled button is only a courtesy):

- one queued or running training per browser session;
- at most ``per_address`` queued or running trainings *started* from one client address, so
  one person with many tabs cannot hold every worker (joining a shared run costs nothing and
  is never refused). ``per_address=0`` turns the cap off: behind a shared NAT a whole class
  has one address. Connections from the server's own machine (address ``None``) are not capped:
  they are the operator (or a proxy that does not pass the client's address on).

Pure standard library: the server imports it.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bilstm_lab.workers.job import Job, JobState

if TYPE_CHECKING:
    from bilstm_lab.workers.pool import WorkerPool

#: Recorded results kept for identical requests (a TrainResult is a few hundred KB at most).
KEEP_RESULTS = 32


class TrainingRefused(Exception):
    """A request the fairness rules turn down.

    Attributes:
        reason: ``"session"`` (this session already has one) or ``"address"`` (its address
            already started ``limit`` that are still queued or running).
        limit: the cap that applied.
    """

    def __init__(self, reason: str, limit: int) -> None:
        super().__init__(f"training refused: {reason} limit {limit}")
        self.reason = reason
        self.limit = limit


@dataclass
class _Run:
    """One submitted training and the sessions watching it."""

    job: Job
    address: str | None
    watchers: set[str] = field(default_factory=set)


class Ticket:
    """A session's handle on a training: its own run, a shared one, or a recorded result.

    Reads like a `Job` (state, progress, result, error, position, touch), so the page treats
    all three alike. `stop` stops the run only when nobody else is watching it; otherwise this
    session leaves it (`detached`) and the others keep their run.
    """

    def __init__(
        self,
        desk: TrainingDesk,
        session: str,
        run: _Run | None,
        *,
        shared: bool,
        recorded: Any = None,
    ) -> None:
        self.shared = shared
        self.detached = False
        self._desk = desk
        self._session = session
        self._run = run
        self._recorded = recorded

    @property
    def job(self) -> Job | None:
        """The pool job behind the ticket (None for a recorded result)."""
        return self._run.job if self._run is not None else None

    @property
    def state(self) -> str:
        """A `JobState` value; CANCELLED once this session has left a shared run."""
        if self._run is None:
            return JobState.DONE
        if self.detached:
            return JobState.CANCELLED
        return self._run.job.state

    @property
    def active(self) -> bool:
        """Queued or running, and still watched by this session."""
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def progress(self) -> Any:
        """The run's last progress report (None for a recorded result)."""
        return self._run.job.progress if self._run is not None else None

    @property
    def result(self) -> Any:
        """The run's result once DONE (the recorded one at once)."""
        return self._recorded if self._run is None else self._run.job.result

    @property
    def error(self) -> BaseException | None:
        """The run's error when FAILED or CANCELLED (None after leaving a shared run)."""
        return None if self._run is None or self.detached else self._run.job.error

    @property
    def stop_requested(self) -> bool:
        """Whether the run itself was asked to stop."""
        return self._run is not None and self._run.job.stop_requested

    @property
    def watchers(self) -> int:
        """How many sessions watch this run (1 for a recorded result)."""
        return self._desk.watchers(self._run) if self._run is not None else 1

    def position(self) -> int | None:
        """As `Job.position`: 0 running, 1.. in the queue, None when ended."""
        return self._run.job.position() if self.active and self._run is not None else None

    def touch(self) -> None:
        """Heartbeat: this session still watches (any watcher keeps a shared run alive)."""
        if self._run is not None and not self.detached:
            self._run.job.touch()

    def stop(self) -> None:
        """Stop the run, or leave it if other sessions still watch it."""
        if self._run is not None and not self.detached:
            self.detached = self._desk.leave(self._run, self._session)


class TrainingDesk:
    """Admits training requests to a `WorkerPool` (thread-safe; one per server process).

    Args:
        pool: where the trainings run.
        per_address: most queued-or-running trainings started from one client address; 0
            turns the cap off.
        reusable: whether a finished run's result may answer a later identical request (a
            run its owner stopped early is not the same run).
        keep: how many recorded results to keep (least recently used go first).
    """

    def __init__(
        self,
        pool: WorkerPool,
        per_address: int,
        reusable: Callable[[Any], bool] = lambda result: True,
        keep: int = KEEP_RESULTS,
    ) -> None:
        self.pool = pool
        self.per_address = per_address
        self._reusable = reusable
        self._keep = keep
        self._lock = threading.Lock()
        self._runs: dict[Hashable, _Run] = {}
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._sessions: dict[str, Ticket] = {}

    def request(self, key: Hashable, payload: object, session: str, address: str | None) -> Ticket:
        """A ticket for the training ``key`` (``payload`` is what the worker trains).

        Raises:
            TrainingRefused: this session already has a training queued or running, or its
                address has started ``per_address`` that still are.
        """
        with self._lock:
            self._tidy()
            current = self._sessions.get(session)
            if current is not None and current.active:
                raise TrainingRefused("session", 1)
            if key in self._results:
                self._results.move_to_end(key)
                ticket = Ticket(self, session, None, shared=True, recorded=self._results[key])
            elif (run := self._runs.get(key)) is not None and not run.job.stop_requested:
                run.watchers.add(session)
                ticket = Ticket(self, session, run, shared=True)
            else:
                if self._address_full(address):
                    raise TrainingRefused("address", self.per_address)
                run = _Run(self.pool.submit("train", payload), address, {session})
                self._runs[key] = run
                ticket = Ticket(self, session, run, shared=False)
            self._sessions[session] = ticket
            return ticket

    def watchers(self, run: _Run) -> int:
        """How many sessions watch ``run``."""
        with self._lock:
            return len(run.watchers)

    def leave(self, run: _Run, session: str) -> bool:
        """``session`` no longer watches ``run``; stops it if nobody else does.

        Returns:
            True when the session left a run others still watch (it goes on for them).
        """
        with self._lock:
            run.watchers.discard(session)
            if run.watchers:
                return True
        run.job.stop()
        return False

    def active_for(self, address: str | None) -> int:
        """Queued or running trainings started from ``address``."""
        with self._lock:
            return sum(
                1 for run in self._runs.values() if run.job.active and run.address == address
            )

    def _address_full(self, address: str | None) -> bool:
        # Call with the lock held.
        if address is None or self.per_address <= 0:
            return False
        started = Counter(run.address for run in self._runs.values() if run.job.active)
        return started[address] >= self.per_address

    def _tidy(self) -> None:
        # Call with the lock held. Ended runs leave the table; those that ended on their own
        # become recorded results; sessions without an active ticket are forgotten.
        for key, run in list(self._runs.items()):
            if run.job.active:
                continue
            del self._runs[key]
            if run.job.state == JobState.DONE and self._reusable(run.job.result):
                self._results[key] = run.job.result
                self._results.move_to_end(key)
        while len(self._results) > self._keep:
            self._results.popitem(last=False)
        for session in [s for s, ticket in self._sessions.items() if not ticket.active]:
            del self._sessions[session]
