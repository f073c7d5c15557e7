"""The training desk's rules without workers: shared runs, one per session, a cap per address."""

from __future__ import annotations

from typing import Any

import pytest

from bilstm_lab.workers.job import Job, JobState
from bilstm_lab.workers.training_desk import TrainingDesk, TrainingRefused


class FakePool:
    """Records submissions; the test decides how each job ends."""

    abandon_after = 30.0

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def submit(self, name: str, payload: object = None) -> Job:
        job = Job(self, name, "x:y", b"")  # type: ignore[arg-type]
        self.jobs.append(job)
        return job

    def position(self, job: Job) -> int | None:
        return 1 if job.active else None

    def _wake(self) -> None:
        pass


def _desk(per_address: int = 1, **options: Any) -> tuple[TrainingDesk, FakePool]:
    pool = FakePool()
    return TrainingDesk(pool, per_address, **options), pool  # type: ignore[arg-type]


def test_identical_requests_share_one_run_and_later_ones_get_its_result() -> None:
    desk, pool = _desk(per_address=0)
    first = desk.request("config-a", "payload", "s1", "10.0.0.1")
    joined = [desk.request("config-a", "payload", f"s{i}", f"10.0.0.{i}") for i in range(2, 31)]
    assert len(pool.jobs) == 1 and not first.shared
    assert all(t.shared and t.job is first.job for t in joined) and first.watchers == 30
    pool.jobs[0]._finish(JobState.DONE, result="the result")
    late = desk.request("config-a", "payload", "s31", "10.0.0.31")
    assert late.shared and late.job is None and late.result == "the result" and not late.active
    assert len(pool.jobs) == 1


def test_a_run_its_owner_stopped_is_not_reused() -> None:
    desk, pool = _desk(reusable=lambda result: result != "stopped early")
    desk.request("config-a", "payload", "s1", None)
    pool.jobs[0]._finish(JobState.DONE, result="stopped early")
    again = desk.request("config-a", "payload", "s2", None)
    assert not again.shared and len(pool.jobs) == 2


def test_one_training_per_session() -> None:
    desk, pool = _desk(per_address=0)
    desk.request("config-a", "payload", "s1", "10.0.0.1")
    with pytest.raises(TrainingRefused) as refused:
        desk.request("config-b", "payload", "s1", "10.0.0.1")
    assert refused.value.reason == "session"
    pool.jobs[0]._finish(JobState.DONE, result="r")
    desk.request("config-b", "payload", "s1", "10.0.0.1")  # free again once it ended


def test_one_address_cannot_start_more_than_its_cap_but_may_join() -> None:
    desk, pool = _desk(per_address=1)
    desk.request("config-a", "payload", "tab1", "10.0.0.1")
    for tab in range(2, 7):
        with pytest.raises(TrainingRefused) as refused:
            desk.request(f"config-{tab}", "payload", f"tab{tab}", "10.0.0.1")
        assert (refused.value.reason, refused.value.limit) == ("address", 1)
    other = desk.request("config-z", "payload", "student", "10.0.0.2")
    assert not other.shared and len(pool.jobs) == 2
    joined = desk.request("config-z", "payload", "tab2", "10.0.0.1")  # joining costs nothing
    assert joined.shared


def test_localhost_and_a_cap_of_zero_are_not_capped() -> None:
    desk, pool = _desk(per_address=1)
    for tab in range(3):
        desk.request(f"config-{tab}", "payload", f"tab{tab}", None)
    desk, pool = _desk(per_address=0)
    for tab in range(3):
        desk.request(f"config-{tab}", "payload", f"tab{tab}", "10.0.0.1")
    assert len(pool.jobs) == 3


def test_stop_leaves_a_shared_run_and_stops_it_only_for_the_last_watcher() -> None:
    desk, pool = _desk(per_address=0)
    owner = desk.request("config-a", "payload", "s1", None)
    guest = desk.request("config-a", "payload", "s2", None)
    owner.stop()
    assert owner.detached and not owner.active and not pool.jobs[0].stop_requested
    assert guest.active and guest.watchers == 1
    guest.stop()
    assert pool.jobs[0].stop_requested and not guest.detached
