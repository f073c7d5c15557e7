"""A worker killed mid-training: only its session hears of it, and the class goes on.

Two Training Lab sessions train at once (AppTest runs both pages in this process, sharing the
server's worker pool). One worker is SIGKILLed in the middle of its training: that session shows
the lab's message and can train again; the other session's training finishes; the pool is back
to full size.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.ui.pool import worker_pool
from bilstm_lab.ui.training import JOB_KEY, RESULT_KEY
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "training_lab.py")


def _session(epochs: int, samples: int) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    at.slider(key="tl_seq_len").set_value(8)
    at.slider(key="tl_vocab").set_value(4)
    at.select_slider(key="tl_samples").set_value(samples)
    at.select_slider(key="tl_units").set_value(8)
    at.slider(key="tl_epochs").set_value(epochs)
    at.run()
    return at


def _wait_training(at: AppTest, limit: float = 120) -> None:
    """Until the session's job reports progress (past model build and compile)."""
    job = at.session_state[JOB_KEY]
    deadline = time.monotonic() + limit
    while job.progress is None:
        assert job.active, f"job ended before training: {job.state} {job.error!r}"
        assert time.monotonic() < deadline, "the training never started"
        time.sleep(0.2)


def _poll_until_done(at: AppTest, limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while JOB_KEY in at.session_state and at.session_state[JOB_KEY].active:
        assert time.monotonic() < deadline, "training did not end"
        time.sleep(0.5)
        at.run()
    at.run()


@pytest.mark.slow
def test_killed_worker_fails_only_its_own_session_and_is_replaced() -> None:
    pool = worker_pool()
    assert pool.size >= 2, "needs two workers to train two sessions at once"
    victim = _session(epochs=40, samples=10_000)  # long enough to be killed mid-run
    bystander = _session(epochs=8, samples=3000)  # still training when the victim is killed
    victim.button(key="tl_train").click().run()
    bystander.button(key="tl_train").click().run()
    _wait_training(bystander)
    _wait_training(victim)
    # The pages hold training-desk tickets; each is its own run here (different settings).
    victim_job = victim.session_state[JOB_KEY].job
    bystander_job = bystander.session_state[JOB_KEY].job
    assert not victim.session_state[JOB_KEY].shared
    assert victim_job.worker_pid != bystander_job.worker_pid
    assert bystander_job.active, "the bystander must still be training when the worker dies"

    os.kill(victim_job.worker_pid, signal.SIGKILL)

    _poll_until_done(victim)
    assert not victim.exception, [e.value for e in victim.exception]
    assert [e.value for e in victim.error] == [explain.TRAINING_INTERRUPTED]
    assert RESULT_KEY not in victim.session_state
    assert victim.button(key="tl_train").disabled is False

    _poll_until_done(bystander)
    assert not bystander.exception
    result = bystander.session_state[RESULT_KEY]
    assert result.reason == "finished" and result.epochs_done == 8
    assert not bystander.error

    deadline = time.monotonic() + 60
    while pool.alive() < pool.size:
        assert time.monotonic() < deadline, f"pool not refilled: {pool.alive()}/{pool.size}"
        time.sleep(0.2)
    assert victim_job.worker_pid not in pool.pids()

    # The interrupted session trains again, on the replacement worker.
    victim.slider(key="tl_epochs").set_value(1)
    victim.select_slider(key="tl_samples").set_value(500)
    victim.run()
    victim.button(key="tl_train").click().run()
    _poll_until_done(victim)
    assert not victim.exception and not victim.error
    assert victim.session_state[RESULT_KEY].epochs_done == 1
