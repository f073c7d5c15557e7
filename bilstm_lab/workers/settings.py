"""The worker pool's numbers: how many workers, and how long jobs may wait, idle or linger.

Standard library only (plus the stdlib-only `bilstm_lab.core.env_settings`): the server imports it.
"""

from __future__ import annotations

import os

from bilstm_lab.core.env_settings import whole_number_setting

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
POLL_INTERVAL = 0.1
#: The one logger of the whole pool (queue, relay and monitor), so one name filters them all.
POOL_LOGGER = "bilstm_lab.workers.pool"

#: How much lower a worker's CPU priority is than the server's (``nice``): on a machine with
#: as many cores as workers, a training would otherwise take the CPU a student's rerun needs;
#: at the lowest priority it still gets every cycle the server leaves idle. Measured with
#: ``bench/load.py --training 4`` (20 students exploring while 4 trainings run), one run each
#: on this 2-core machine: p95 0.70 s at nice 10, 0.58 s at nice 19 (runs vary by a third).
WORKER_NICENESS = 19

#: The environment variable that sets a worker's memory ceiling, in MB (read in the worker).
WORKER_MEMORY_ENV = "BILSTM_LAB_WORKER_MAX_MB"
#: A worker whose resident memory passes this while it runs a job ends itself: the job fails
#: with `WorkerOutOfMemory` and only that worker is replaced. A warm worker holds ~0.6 GB, a
#: training at the lab's largest settings well under 2 GB; an upload within the config limits
#: (30 M weights) stays far below. Resident memory, not address space: TensorFlow reserves
#: huge virtual ranges it never touches, so ``RLIMIT_AS`` would break it.
DEFAULT_WORKER_MAX_MB = 4096
#: Bounds for the setting (the low one lets tests use a small ceiling).
MIN_WORKER_MAX_MB, MAX_WORKER_MAX_MB = 64, 1_048_576
#: The environment variable that sets `DEFAULT_WORKER_RECYCLE_MB` (read in the worker).
WORKER_RECYCLE_ENV = "BILSTM_LAB_WORKER_RECYCLE_MB"
#: A worker still holding more than this after a job retires and is replaced by a fresh one:
#: memory a job grew (TensorFlow and the allocator rarely give it back) must not stay held
#: for the rest of the day. Measured on the 2-core machine: a warm worker holds ~700 MB, ~890
#: after a default training, ~1,250 after one at the page's largest settings; verifying or
#: inspecting models near the 30 M-weight limit goes past 1.5 GB.
DEFAULT_WORKER_RECYCLE_MB = 1536
#: How often a worker running a job reads its own resident memory (seconds).
MEMORY_POLL = 0.2
#: The exit code of a worker that ended itself over its memory ceiling.
MEMORY_EXIT_CODE = 86


def worker_memory_mb(value: str | None, default: int = DEFAULT_WORKER_MAX_MB) -> int:
    """The memory ceiling from ``BILSTM_LAB_WORKER_MAX_MB``'s ``value``; ``default`` if unset or
    invalid (a bad value warns: a typo in a deployment must not stop the workers)."""
    return whole_number_setting(
        value,
        MIN_WORKER_MAX_MB,
        MAX_WORKER_MAX_MB,
        default,
        f"{WORKER_MEMORY_ENV}={value!r} is not a whole number of MB from {MIN_WORKER_MAX_MB} "
        f"to {MAX_WORKER_MAX_MB}; using {default} MB",
    )


def worker_recycle_mb(value: str | None, default: int = DEFAULT_WORKER_RECYCLE_MB) -> int:
    """The after-job memory limit from ``BILSTM_LAB_WORKER_RECYCLE_MB``'s ``value``."""
    return whole_number_setting(
        value,
        MIN_WORKER_MAX_MB,
        MAX_WORKER_MAX_MB,
        default,
        f"{WORKER_RECYCLE_ENV}={value!r} is not a whole number of MB from {MIN_WORKER_MAX_MB} "
        f"to {MAX_WORKER_MAX_MB}; using {default} MB",
    )


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
    return whole_number_setting(
        value,
        MIN_WORKERS,
        MAX_WORKERS,
        default,
        f"{WORKERS_ENV}={value!r} is not a whole number from {MIN_WORKERS} to {MAX_WORKERS}; "
        f"using {default} workers",
    )


#: Worker processes a pool starts by default: one per usable CPU (at most `MAX_WORKERS`),
#: or ``BILSTM_LAB_WORKERS``.
DEFAULT_WORKERS: int = workers_from_env(os.environ.get(WORKERS_ENV), min(_cpu_count(), MAX_WORKERS))


#: The environment variable that sets `TRAININGS_PER_ADDRESS`.
TRAININGS_PER_ADDRESS_ENV = "BILSTM_LAB_TRAININGS_PER_ADDRESS"
#: Most queued-or-running trainings one client address may have started (0: no cap). One, so
#: a visitor with many tabs holds one worker and everyone else keeps the others; behind a shared
#: NAT (a whole class with one address) set 0. Joining a shared run never counts.
DEFAULT_TRAININGS_PER_ADDRESS = 1
MAX_TRAININGS_PER_ADDRESS = 64


def trainings_per_address(value: str | None) -> int:
    """The per-address cap from ``BILSTM_LAB_TRAININGS_PER_ADDRESS``'s ``value`` (0: off)."""
    return whole_number_setting(
        value,
        0,
        MAX_TRAININGS_PER_ADDRESS,
        DEFAULT_TRAININGS_PER_ADDRESS,
        f"{TRAININGS_PER_ADDRESS_ENV}={value!r} is not a whole number from 0 to "
        f"{MAX_TRAININGS_PER_ADDRESS}; using {DEFAULT_TRAININGS_PER_ADDRESS}",
    )
