"""The warm worker pool: results, progress, errors, stop, queue, abandonment, crashes, shutdown.

Workers here preload nothing (``warm_modules=()``), so a pool starts in a fraction of a second;
one slow test checks the real warm-up (TensorFlow imported in the worker).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bilstm_lab.core.analysis import analyze, input_name
from bilstm_lab.core.spec import DEFAULT_SPEC
from bilstm_lab.workers import settings
from bilstm_lab.workers import worker as worker_module
from bilstm_lab.workers.errors import JobCancelled, JobError, WorkerLost
from bilstm_lab.workers.job import JobState
from bilstm_lab.workers.pool import WorkerPool
from bilstm_lab.workers.settings import workers_from_env
from tests.workers import jobs_for_tests

JOBS = "tests.workers.jobs_for_tests"
ROOT = Path(__file__).resolve().parents[2]

PoolFactory = Callable[..., WorkerPool]


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def make_pool() -> Iterator[PoolFactory]:
    """Start pools without preloading; every pool is shut down after the test."""
    pools: list[WorkerPool] = []

    def make(size: int = 1, **options: Any) -> WorkerPool:
        options.setdefault("warm_modules", ())
        pool = WorkerPool(size, **options)
        pools.append(pool)
        assert pool.wait_ready(15), "workers never became ready"
        return pool

    yield make
    for pool in pools:
        pool.shutdown()


def test_result_comes_back(make_pool: PoolFactory) -> None:
    pool = make_pool()
    job = pool.submit(f"{JOBS}:echo", {"numbers": [1, 2.5], "text": "hi"})
    assert job.wait(10) == {"numbers": [1, 2.5], "text": "hi"}
    assert job.state == JobState.DONE and job.error is None
    assert job.worker_pid in pool.pids()
    assert job.position() is None and not job.active
    assert pool.running == 0 and pool.waiting == 0


def test_progress_is_relayed_while_running(make_pool: PoolFactory) -> None:
    pool = make_pool()
    job = pool.submit(f"{JOBS}:count_with_progress", {"steps": 6})
    seen = set()
    while job.active:
        if job.progress is not None:
            seen.add(job.progress["step"])
        time.sleep(0.01)
    assert job.result == {"stopped": False, "steps": 6}
    assert job.progress == {"step": 6, "of": 6}
    assert len(seen) >= 3, f"progress arrived only at the end: {seen}"


def test_value_error_subclass_keeps_its_type_and_message(make_pool: PoolFactory) -> None:
    pool = make_pool()
    job = pool.submit(f"{JOBS}:raise_value_error", 7)
    with pytest.raises(jobs_for_tests.BadInput, match="bad input: 7"):
        job.wait(10)
    assert job.state == JobState.FAILED
    assert type(job.error) is jobs_for_tests.BadInput
    assert str(job.error) == "bad input: 7"


@pytest.mark.parametrize(
    ("function", "type_name", "text"),
    [
        ("raise_unpicklable", "Unpicklable", "cannot travel: 1"),
        ("raise_unloadable", "Unloadable", "left and right"),
        ("return_unpicklable", "TypeError", "could not be sent to the server"),
    ],
)
def test_what_cannot_travel_back_becomes_job_error(
    make_pool: PoolFactory, function: str, type_name: str, text: str
) -> None:
    pool = make_pool()
    job = pool.submit(f"{JOBS}:{function}", 1)
    job.join(10)
    assert job.state == JobState.FAILED
    assert isinstance(job.error, JobError)
    assert job.error.type_name == type_name
    assert text in job.error.message
    # The worker survives: the next job runs on the same process.
    assert pool.submit(f"{JOBS}:whoami").wait(10) == job.worker_pid


def test_bad_job_names_and_payloads(make_pool: PoolFactory) -> None:
    pool = make_pool()
    with pytest.raises(ValueError, match="unknown job"):
        pool.submit("no-such-job")
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pool.submit(f"{JOBS}:echo", lambda: None)
    missing = pool.submit("tests.workers.no_such_module:run")
    with pytest.raises(ModuleNotFoundError):
        missing.wait(10)
    with pytest.raises(AttributeError):
        pool.submit(f"{JOBS}:no_such_function").wait(10)


def test_stop_ends_a_running_job_which_returns_early(make_pool: PoolFactory) -> None:
    """A stopped job ends normally (DONE): its own result says that it stopped."""
    pool = make_pool()
    job = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    _wait_until(lambda: job.progress == "started")
    assert job.state == JobState.RUNNING and job.position() == 0
    job.stop()
    assert job.stop_requested
    assert job.wait(10) == "stopped"
    assert job.state == JobState.DONE

    counting = pool.submit(f"{JOBS}:count_with_progress", {"steps": 200})
    _wait_until(lambda: counting.progress is not None)
    counting.stop()
    result = counting.wait(10)
    assert result["stopped"] and 0 < result["steps"] < 200


def test_queue_is_first_come_first_served_with_positions(make_pool: PoolFactory) -> None:
    pool = make_pool(1)
    blocker = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    queued = [pool.submit(f"{JOBS}:stamp") for _ in range(3)]
    _wait_until(lambda: blocker.state == JobState.RUNNING)
    assert [job.position() for job in [blocker, *queued]] == [0, 1, 2, 3]
    assert [job.state for job in queued] == [JobState.QUEUED] * 3
    assert all(job.worker_pid is None for job in queued)
    assert pool.running == 1 and pool.waiting == 3
    blocker.stop()
    stamps = [job.wait(10) for job in queued]
    assert stamps == sorted(stamps)
    assert pool.running == 0 and pool.waiting == 0


def test_a_stopped_queued_job_is_cancelled_and_the_queue_moves_up(make_pool: PoolFactory) -> None:
    pool = make_pool(1)
    blocker = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    leaving, staying = pool.submit(f"{JOBS}:echo", 1), pool.submit(f"{JOBS}:echo", 2)
    _wait_until(lambda: staying.position() == 2)
    leaving.stop()
    leaving.join(5)
    assert leaving.state == JobState.CANCELLED
    assert isinstance(leaving.error, JobCancelled)
    with pytest.raises(JobCancelled, match="stopped while waiting"):
        leaving.wait(1)
    assert staying.position() == 1
    blocker.stop()
    assert staying.wait(10) == 2


def test_a_job_waits_in_the_queue_at_most_max_wait(make_pool: PoolFactory) -> None:
    pool = make_pool(1, max_wait=0.3)
    blocker = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    late = pool.submit(f"{JOBS}:echo")
    with pytest.raises(JobCancelled, match="waited more than"):
        late.wait(10)
    blocker.stop()
    assert blocker.wait(10) == "stopped"


def test_abandoned_jobs_are_stopped_and_dropped_from_the_queue(make_pool: PoolFactory) -> None:
    """Nobody touches these jobs (`join` does not touch): the pool stops both by itself."""
    pool = make_pool(1, abandon_after=0.4)
    running = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    queued = pool.submit(f"{JOBS}:echo")
    running.join(10)
    queued.join(10)
    assert running.state == JobState.DONE and running.result == "stopped"
    assert running.abandoned and not running.stop_requested
    assert queued.state == JobState.CANCELLED
    assert "abandoned" in str(queued.error)
    # A watched job (`wait` touches it) is not abandoned, however long it runs.
    assert pool.submit(f"{JOBS}:count_with_progress", {"steps": 12}).wait(10) == {
        "stopped": False,
        "steps": 12,
    }


def test_a_killed_worker_fails_its_job_and_is_replaced(make_pool: PoolFactory) -> None:
    pool = make_pool(1)
    job = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    _wait_until(lambda: job.progress == "started")
    assert job.worker_pid is not None
    victim = job.worker_pid
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(WorkerLost, match="SIGKILL"):
        job.wait(10)
    assert job.state == JobState.FAILED
    _wait_until(lambda: pool.alive() == 1 and victim not in pool.pids(), timeout=5)
    assert pool.running == 0
    after = pool.submit(f"{JOBS}:whoami")
    assert after.wait(10) not in (None, victim)
    assert pool.wait_ready(5)


def test_two_workers_run_concurrently_and_a_crash_spares_the_other(
    make_pool: PoolFactory,
) -> None:
    pool = make_pool(2)
    doomed = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    survivor = pool.submit(f"{JOBS}:count_with_progress", {"steps": 16})
    _wait_until(lambda: doomed.progress == "started" and survivor.progress is not None)
    assert pool.running == 2
    assert {doomed.worker_pid, survivor.worker_pid} == set(pool.pids())
    assert doomed.worker_pid is not None
    os.kill(doomed.worker_pid, signal.SIGKILL)
    assert survivor.wait(10) == {"stopped": False, "steps": 16}
    doomed.join(10)
    assert isinstance(doomed.error, WorkerLost)
    _wait_until(lambda: pool.alive() == 2, timeout=5)
    assert survivor.worker_pid in pool.pids()


def test_a_job_that_ignores_stop_loses_its_worker_after_the_grace(make_pool: PoolFactory) -> None:
    pool = make_pool(1, stop_grace=0.3)
    job = pool.submit(f"{JOBS}:ignore_stop", 30)
    _wait_until(lambda: job.progress == "started")
    job.stop()
    with pytest.raises(WorkerLost, match="did not stop"):
        job.wait(10)
    _wait_until(lambda: pool.alive() == 1, timeout=5)
    assert pool.submit(f"{JOBS}:echo", "next").wait(10) == "next"


def test_wait_times_out_without_stopping_the_job(make_pool: PoolFactory) -> None:
    pool = make_pool(1)
    job = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    with pytest.raises(TimeoutError):
        job.wait(0.2)
    assert job.active
    job.stop()
    assert job.wait(10) == "stopped"


def test_shutdown_ends_every_worker_and_is_idempotent(make_pool: PoolFactory) -> None:
    pool = make_pool(2)
    running = pool.submit(f"{JOBS}:sleep_forever_until_stopped")
    _wait_until(lambda: running.progress == "started")
    pids = pool.pids()
    assert len(pids) == 2
    pool.shutdown()
    pool.shutdown()
    assert all(_gone(pid) for pid in pids)
    assert pool.alive() == 0 and pool.pids() == []
    running.join(10)
    assert running.state == JobState.FAILED and isinstance(running.error, WorkerLost)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(f"{JOBS}:echo")


def test_workers_do_not_rerun_the_servers_main_script(
    make_pool: PoolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``streamlit run``, ``__main__`` is the page script: a worker must not execute it."""
    marker = tmp_path / "page-ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').close()\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    pool = make_pool(1)
    assert pool.submit(f"{JOBS}:echo", "ok").wait(10) == "ok"
    assert not marker.exists()
    assert sys.modules["__main__"] is fake_main  # restored after each start


def test_workers_start_without_the_repository_on_sys_path(
    make_pool: PoolFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamlit puts the app's directory on ``sys.path`` only while a script runs."""
    kept = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT]
    monkeypatch.setattr(sys, "path", kept)
    pool = make_pool(1)
    assert pool.submit(f"{JOBS}:echo", "ok").wait(10) == "ok"


def test_nothing_from_tensorflow_or_keras_crosses_to_the_server() -> None:
    class FromKeras:
        pass

    FromKeras.__module__ = "keras.src.fake"
    with pytest.raises(TypeError, match="cannot be sent to the server"):
        worker_module.dumps({"model": FromKeras()})
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        worker_module.loads(b"ctensorflow\nconstant\n.")
    assert worker_module.loads(worker_module.dumps({"a": [1, 2.0]})) == {"a": [1, 2.0]}


@pytest.mark.parametrize(
    ("value", "expected", "warns"),
    [(None, 3, False), ("", 3, False), (" 2 ", 2, False), ("16", 16, False)]
    + [(bad, 3, True) for bad in ["0", "17", "-1", "two", "1.5"]],
)
def test_pool_size_from_the_environment(value: str | None, expected: int, warns: bool) -> None:
    if warns:
        with pytest.warns(RuntimeWarning, match="BILSTM_LAB_WORKERS"):
            assert workers_from_env(value, 3) == expected
    else:
        assert workers_from_env(value, 3) == expected
    assert 1 <= settings.DEFAULT_WORKERS <= settings.MAX_WORKERS


def test_pool_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        WorkerPool(0, warm_modules=())


@pytest.mark.slow
def test_default_workers_preload_tensorflow_and_jobs_keep_the_specs_layer_names() -> None:
    with WorkerPool(1) as pool:
        assert pool.wait_ready(180), "TensorFlow import never finished"
        loaded = pool.submit(f"{JOBS}:loaded_modules", ["tensorflow", "keras"]).wait(30)
        first = pool.submit(f"{JOBS}:keras_layer_names").wait(60)
        second = pool.submit(f"{JOBS}:keras_layer_names").wait(60)
    assert loaded == {"tensorflow": True, "keras": True}
    # The same warm worker builds the model twice: names come from the spec, never from Keras's
    # global counters (which the lab never resets), so the second model is not "..._1".
    names = [row.name for row in analyze(DEFAULT_SPEC, bidirectional=True).layers]
    assert first == second == [input_name(DEFAULT_SPEC), *names]
