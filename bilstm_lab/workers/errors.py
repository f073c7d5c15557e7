"""How a pool job can fail without the job itself raising: its worker died, it never ran, or
its error or result could not be brought back to the server.

Pure standard library: pages import these to tell the visitor what happened.
"""

from __future__ import annotations

from typing import Any


class WorkerLost(RuntimeError):
    """The job's worker process died while running it (crash, SIGKILL, out of memory).

    Also raised for a job that ignored a stop for longer than the pool's ``stop_grace`` (its
    worker is killed) and for jobs still running when the pool shuts down.
    """


class WorkerOutOfMemory(WorkerLost):
    """The job's worker passed its memory ceiling (``BILSTM_LAB_WORKER_MAX_MB``) and ended
    itself; only that worker is lost, and a new one is started."""


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
