"""A worker's memory ceiling: a job past ``BILSTM_LAB_WORKER_MAX_MB`` costs its worker, never the
server, and a hostile upload is refused before it costs anything.

Workers read the ceiling from their environment when they start, so each test sets it before
creating its pool.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import warnings
from collections.abc import Callable, Iterator

import pytest

from bilstm_lab.core.errors import ConfigTooLarge
from bilstm_lab.core.model_info import InspectRequest
from bilstm_lab.workers.errors import WorkerLost, WorkerOutOfMemory
from bilstm_lab.workers.pool import WorkerPool
from bilstm_lab.workers.settings import (
    DEFAULT_WORKER_MAX_MB,
    WORKER_MEMORY_ENV,
    WORKER_RECYCLE_ENV,
    worker_memory_mb,
)
from bilstm_lab.workers.worker import resident_mb
from tests.workers import memory_jobs

JOBS = "tests.workers.memory_jobs"
ECHO = "tests.workers.jobs_for_tests:echo"

PoolFactory = Callable[..., WorkerPool]


@pytest.fixture
def make_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[PoolFactory]:
    pools: list[WorkerPool] = []

    def make(limit_mb: int, warm_modules: tuple[str, ...] = (), ready_s: float = 15) -> WorkerPool:
        monkeypatch.setenv(WORKER_MEMORY_ENV, str(limit_mb))
        pool = WorkerPool(1, warm_modules=warm_modules)
        pools.append(pool)
        assert pool.wait_ready(ready_s), "the worker never became ready"
        return pool

    yield make
    for pool in pools:
        pool.shutdown()


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm", "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def test_a_job_past_the_ceiling_costs_only_its_worker(make_pool: PoolFactory) -> None:
    pool = make_pool(200)
    server_before = resident_mb()
    first_pid = pool.pids()[0]
    job = pool.submit(f"{JOBS}:hold_memory", {"mb": 1024})
    with pytest.raises(WorkerOutOfMemory, match="memory limit"):
        job.wait(60)
    assert isinstance(job.error, WorkerLost)  # every page already handles a lost worker
    # The pool replaces the worker, and the next job runs as if nothing happened.
    assert pool.submit(ECHO, "still here").wait(60) == "still here"
    assert first_pid not in pool.pids()
    server_after = resident_mb()
    assert server_before is not None and server_after is not None
    assert server_after - server_before < 50  # the server never held the job's memory


def test_a_worker_left_over_the_ceiling_retires_after_sending_its_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A job that ends before the watchdog's next look: its result is sent, then the worker
    # retires, so the next job does not pay for memory it did not take.
    monkeypatch.setenv(WORKER_MEMORY_ENV, "200")
    context = multiprocessing.get_context("spawn")
    server_end, worker_end = context.Pipe()
    stop_event = context.Event()  # kept referenced: the child attaches to it by name
    process = context.Process(
        target=memory_jobs.serve_with_a_slow_watchdog, args=(worker_end, stop_event)
    )
    process.start()
    worker_end.close()
    try:
        assert server_end.poll(30) and server_end.recv()[0] == "ready"
        job = ("run", 1, f"{JOBS}:hold_and_finish", pickle.dumps({"mb": 400}))
        server_end.send(job)
        assert server_end.poll(60)
        # It says it retires before the result goes out: the server must not hand it a job.
        assert server_end.recv()[0] == "retiring"
        kind, job_id, blob = server_end.recv()
        assert (kind, job_id, pickle.loads(blob)) == ("done", 1, 400)
        process.join(30)
        assert process.exitcode == 0  # it ended itself, cleanly, without being asked
    finally:
        process.kill()
        process.join(5)
        server_end.close()


def test_a_job_that_leaves_its_worker_grown_gets_a_fresh_worker(
    make_pool: PoolFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under the ceiling, but the job's memory stays held after it (as TensorFlow's does): the
    # worker sends the result, retires, and a fresh one starts back at its baseline.
    monkeypatch.setenv(WORKER_RECYCLE_ENV, "200")
    pool = make_pool(1024)
    first_pid = pool.pids()[0]
    baseline = _rss_mb(first_pid)
    assert pool.submit(f"{JOBS}:hold_and_finish", {"mb": 300}).wait(60) == 300
    assert pool.submit(ECHO, "fresh").wait(60) == "fresh"
    (pid,) = pool.pids()
    assert pid != first_pid
    assert _rss_mb(pid) < baseline + 50


def test_a_job_under_the_ceiling_is_untouched(make_pool: PoolFactory) -> None:
    pool = make_pool(400)
    pid = pool.pids()[0]
    assert pool.submit(f"{JOBS}:hold_memory", {"mb": 64}).wait(60) == 64
    assert pool.pids() == [pid]


@pytest.mark.slow
def test_a_loader_past_the_ceiling_costs_only_its_worker(make_pool: PoolFactory) -> None:
    # A small legitimate file, but a worker allowed less than TensorFlow itself takes: the
    # load blows the ceiling, as a load within the config limits would on a starved machine.
    from tests.test_upload_guard import SMALL

    pool = make_pool(300)
    job = pool.submit("inspect_upload", InspectRequest(SMALL, "small.keras"))
    with pytest.raises(WorkerOutOfMemory):
        job.wait(300)
    assert pool.submit(ECHO, 1).wait(60) == 1


@pytest.mark.slow
@pytest.mark.parametrize("width", [500_000, 1_000_000])
def test_the_wide_upload_costs_a_warm_worker_nothing(make_pool: PoolFactory, width: int) -> None:
    from tests.test_upload_guard import SMALL, _widen

    pool = make_pool(DEFAULT_WORKER_MAX_MB, ("bilstm_lab.models.upload_jobs",), ready_s=300)
    pid = pool.pids()[0]
    # A legitimate load first, so the worker's memory is at its working level.
    assert pool.submit("inspect_upload", InspectRequest(SMALL, "small.keras")).wait(300)
    server_before, worker_before = resident_mb(), _rss_mb(pid)
    job = pool.submit("inspect_upload", InspectRequest(_widen(width), "wide.keras"))
    with pytest.raises(ConfigTooLarge, match=r"wide\.keras declares about"):
        job.wait(120)
    assert pool.pids() == [pid]  # refused by the guard: the worker lives on
    assert _rss_mb(pid) - worker_before < 20  # Keras allocated nothing
    server_after = resident_mb()
    assert server_before is not None and server_after is not None
    assert server_after - server_before < 20


@pytest.mark.parametrize(
    ("value", "limit"), [(None, 4096), ("", 4096), ("300", 300), (" 8192 ", 8192), ("64", 64)]
)
def test_the_setting_reads_whole_megabytes(value: str | None, limit: int) -> None:
    assert worker_memory_mb(value) == limit


@pytest.mark.parametrize("value", ["0", "-1", "big", "1.5", "63"])
def test_a_bad_setting_warns_and_keeps_the_default(value: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert worker_memory_mb(value) == DEFAULT_WORKER_MAX_MB
    assert len(caught) == 1 and WORKER_MEMORY_ENV in str(caught[0].message)
