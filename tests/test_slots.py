"""The process-wide training limit: bounded concurrency, queue positions, no leaked slots."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from bilstm_lab.slots import Job, JobState, TrainingSlots


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def _blocking_work(gate: threading.Event) -> Callable[..., Any]:
    def work(should_stop: Callable[[], bool], report: Callable[[Any], None]) -> str:
        while not gate.is_set():
            if should_stop():
                return "stopped"
            report("working")
            time.sleep(0.01)
        return "finished"

    return work


def test_at_most_capacity_run_and_the_rest_queue_in_order() -> None:
    slots = TrainingSlots(capacity=2)
    gate = threading.Event()
    jobs = [Job(_blocking_work(gate), slots=slots).start() for _ in range(4)]
    _wait_until(lambda: slots.running == 2 and slots.waiting == 2)
    assert [job.state for job in jobs[:2]] == [JobState.RUNNING] * 2
    assert [job.position() for job in jobs] == [0, 0, 1, 2]
    gate.set()
    for job in jobs:
        job.join(10)
    assert [job.state for job in jobs] == [JobState.DONE] * 4
    assert slots.running == 0 and slots.waiting == 0


def test_stopped_running_job_frees_its_slot_for_the_next() -> None:
    slots = TrainingSlots(capacity=1)
    gate = threading.Event()
    first = Job(_blocking_work(gate), slots=slots).start()
    second = Job(_blocking_work(gate), slots=slots).start()
    _wait_until(lambda: second.position() == 1)
    first.stop()
    first.join(10)
    assert first.result == "stopped"
    _wait_until(lambda: second.state == JobState.RUNNING)
    second.stop()
    second.join(10)
    assert slots.running == 0


def test_stopped_queued_job_leaves_the_queue() -> None:
    slots = TrainingSlots(capacity=1)
    gate = threading.Event()
    first = Job(_blocking_work(gate), slots=slots).start()
    queued = Job(_blocking_work(gate), slots=slots).start()
    _wait_until(lambda: queued.position() == 1)
    queued.stop()
    queued.join(10)
    assert queued.state == JobState.CANCELLED and queued.position() is None
    assert slots.waiting == 0
    first.stop()
    first.join(10)


def test_abandoned_job_stops_and_frees_its_slot() -> None:
    slots = TrainingSlots(capacity=1)
    gate = threading.Event()
    job = Job(_blocking_work(gate), slots=slots, abandon_after=0.3).start()
    job.join(10)  # nobody calls touch(): the page went away
    assert job.result == "stopped" and slots.running == 0


def test_heartbeat_keeps_a_job_alive() -> None:
    slots = TrainingSlots(capacity=1)
    gate = threading.Event()
    job = Job(_blocking_work(gate), slots=slots, abandon_after=0.3).start()
    for _ in range(10):
        job.touch()
        time.sleep(0.1)
    assert job.state == JobState.RUNNING
    gate.set()
    job.join(10)
    assert job.result == "finished"


def test_failing_work_frees_its_slot_and_keeps_the_error() -> None:
    slots = TrainingSlots(capacity=1)

    def boom(should_stop: Callable[[], bool], report: Callable[[Any], None]) -> None:
        raise ValueError("units must be between 2 and 128, received 999")

    job = Job(boom, slots=slots).start()
    job.join(10)
    assert job.state == JobState.FAILED and "received 999" in str(job.error)
    assert slots.running == 0


def test_queue_timeout_gives_up() -> None:
    slots = TrainingSlots(capacity=1)
    gate = threading.Event()
    first = Job(_blocking_work(gate), slots=slots).start()
    late = Job(_blocking_work(gate), slots=slots, max_wait=0.2).start()
    late.join(10)
    assert late.state == JobState.CANCELLED and slots.waiting == 0
    gate.set()
    first.join(10)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"received 0$"):
        TrainingSlots(0)
