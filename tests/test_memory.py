"""The server's memory stops growing: hundreds of reruns with ever-changing configurations.

AppTest runs the page script in the process that runs it, so that process's resident memory is
the server's. After a warm-up (imports, first caches), growth per rerun must stay small: a cache
without a bound, or models kept past their session, would show up here as steady growth.

The two slope measurements run in a fresh interpreter (``python -m tests.test_memory NAME``),
like the real server, which never imports TensorFlow. In the test process other tests have
loaded TensorFlow, and its huge heap made every rerun's garbage collection ~4× slower and
buried the server's own memory under ~500 MiB that the server never has.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core.spec import Cell, MergeMode
from labharness.memory import rss_kib
from tests.conftest import ROOT

EXPLORER = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")
WARMUP_RERUNS = 40
MEASURED_RERUNS = 260
# Per rerun, after warm-up. Python's allocator keeps some freed memory, so a little drift is
# normal; a leak of one analysis or figure per rerun would be far above this.
MAX_GROWTH_KIB_PER_RERUN = 20
SAMPLE_EVERY = 20


def growth_per_rerun(samples: list[tuple[int, int]]) -> float:
    """Least-squares slope of RSS (KiB) over rerun number.

    RSS wobbles by a few MiB as Python's allocator grabs and returns arenas; a fitted slope
    over many samples separates that noise from steady growth.
    """
    n = len(samples)
    mean_x = sum(x for x, _ in samples) / n
    mean_y = sum(y for _, y in samples) / n
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in samples)
    variance = sum((x - mean_x) ** 2 for x, _ in samples)
    return covariance / variance


def _change_explorer(at: AppTest, step: int) -> None:
    # Every step is a configuration never seen before (units grow), and the other controls
    # cycle, so per-configuration caches are exercised too.
    at.get_by_key("ex_units_0").set_value(8 + step)  # type: ignore[attr-defined]
    at.get_by_key("ex_merge_mode").set_value(list(MergeMode)[step % 4].value)  # type: ignore[attr-defined]
    at.get_by_key("ex_cell").set_value(list(Cell)[step % 3].value)  # type: ignore[attr-defined]
    at.get_by_key("ex_return_sequences").set_value(step % 2 == 0)  # type: ignore[attr-defined]


def measure_explorer() -> dict[str, float]:
    """Rerun the Explorer with new configurations; the fitted growth and the RSS range."""
    at = AppTest.from_file(EXPLORER, default_timeout=120)
    at.run()
    for step in range(WARMUP_RERUNS):
        _change_explorer(at, step)
        at.run()
    assert not at.exception
    samples: list[tuple[int, int]] = []
    for step in range(WARMUP_RERUNS, WARMUP_RERUNS + MEASURED_RERUNS):
        _change_explorer(at, step)
        at.run()
        if step % SAMPLE_EVERY == 0:
            gc.collect()
            samples.append((step, rss_kib()))
    assert not at.exception, [e.value for e in at.exception]
    # The page really followed the changes (the loop would measure nothing otherwise).
    last_units = at.query_params["units"]
    last_units = last_units if isinstance(last_units, str) else last_units[-1]
    assert last_units == str(8 + WARMUP_RERUNS + MEASURED_RERUNS - 1)
    return _summary(samples)


def _summary(samples: list[tuple[int, int]]) -> dict[str, float]:
    return {
        "growth": growth_per_rerun(samples),
        "low": min(y for _, y in samples) / 1024,
        "high": max(y for _, y in samples) / 1024,
    }


def _measure_in_fresh_process(name: str) -> dict[str, float]:
    """Run one measurement of `MEASUREMENTS` in a new interpreter; its summary."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.test_memory", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    summary: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\n{name}: {MEASURED_RERUNS} reruns after warm-up, RSS {summary['low']:.0f}–"
        f"{summary['high']:.0f} MiB, fitted growth {summary['growth']:.1f} KiB/rerun"
    )
    return summary


@pytest.mark.slow
def test_explorer_memory_stops_growing() -> None:
    assert _measure_in_fresh_process("explorer")["growth"] < MAX_GROWTH_KIB_PER_RERUN


TRAINING_LAB = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "training_lab.py")
LIVE_MODELS_JOB = "tests.workers.jobs_for_tests:live_keras_models"


def _train_tiny(at: AppTest, seed: int) -> None:
    from bilstm_lab.ui.training import JOB_KEY

    at.slider(key="tl_seq_len").set_value(8)
    at.slider(key="tl_vocab").set_value(4)
    at.select_slider(key="tl_samples").set_value(200)
    at.select_slider(key="tl_units").set_value(4)
    at.slider(key="tl_epochs").set_value(1)
    at.number_input(key="tl_seed").set_value(seed)
    at.run()
    at.button(key="tl_train").click().run()
    deadline = time.monotonic() + 180
    while JOB_KEY in at.session_state and at.session_state[JOB_KEY].active:
        assert time.monotonic() < deadline, "training did not end"
        time.sleep(0.3)
        at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.slow
def test_training_models_never_reach_the_server_and_are_freed_in_the_worker() -> None:
    from bilstm_lab.ui.pool import worker_pool
    from bilstm_lab.ui.training import RESULT_KEY

    at = AppTest.from_file(TRAINING_LAB, default_timeout=120)
    at.run()
    _train_tiny(at, seed=1)
    first = at.session_state[RESULT_KEY]
    # The session holds numbers only: the models were built, trained and dropped in a worker.
    assert first.uni_model is None and first.bi_model is None
    _train_tiny(at, seed=2)
    second = at.session_state[RESULT_KEY]
    assert second.uni_model is None and second.bi_model is None
    # And no worker keeps a model after its job: ask every worker at once (each job holds its
    # worker for a moment, so the pool's jobs land on different workers).
    pool = worker_pool()
    jobs = [pool.submit(LIVE_MODELS_JOB, 1.0) for _ in range(pool.size)]
    counts = [job.wait(120) for job in jobs]
    assert len({job.worker_pid for job in jobs}) == pool.size
    assert counts == [0] * pool.size, "a finished job's Keras models are still alive in a worker"


def measure_training_lab() -> dict[str, float]:
    """Rerun the Training Lab (results on screen) with new settings; growth and RSS range."""
    at = AppTest.from_file(TRAINING_LAB, default_timeout=120)
    at.run()
    _train_tiny(at, seed=3)  # results on screen: every rerun redraws the charts too
    samples: list[tuple[int, int]] = []
    for step in range(WARMUP_RERUNS + MEASURED_RERUNS):
        at.slider(key="tl_seq_len").set_value(6 + step % 20)
        at.slider(key="tl_vocab").set_value(2 + step % 10)
        at.slider(key="tl_epochs").set_value(1 + step % 30)
        at.run()
        if step >= WARMUP_RERUNS and step % SAMPLE_EVERY == 0:
            gc.collect()
            samples.append((step, rss_kib()))
    assert not at.exception, [e.value for e in at.exception]
    return _summary(samples)


@pytest.mark.slow
def test_training_lab_memory_stops_growing() -> None:
    assert _measure_in_fresh_process("training_lab")["growth"] < MAX_GROWTH_KIB_PER_RERUN


MEASUREMENTS: dict[str, Callable[[], dict[str, float]]] = {
    "explorer": measure_explorer,
    "training_lab": measure_training_lab,
}

if __name__ == "__main__":
    print(json.dumps(MEASUREMENTS[sys.argv[1]]()))
