"""Many students, one server: simultaneous sessions read back their own numbers, promptly.

Drives 20 simultaneous browser sessions (separate Playwright contexts, so separate Streamlit
sessions) against one `streamlit run` server on localhost. `bench/load.py` runs the same
scenario for N = 1, 10, 20, 40 over Streamlit's websocket protocol and prints the figures.
"""

from __future__ import annotations

import pytest

from labharness.browser_sessions import run_sessions, run_training_sessions
from labharness.memory import PeakMemory
from labharness.paths import ARTIFACTS
from labharness.server import streamlit_server
from labharness.sessions import summarize

SESSIONS = 20


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.usefixtures("browser")  # skips cleanly where Chromium/Playwright are missing
def test_twenty_simultaneous_sessions_see_only_their_own_numbers() -> None:
    with streamlit_server(ARTIFACTS / "streamlit-concurrency.log") as server:
        with PeakMemory(server.pid) as memory:
            results = run_sessions(
                server.url, SESSIONS, changes=2, screenshot_dir=ARTIFACTS / "screenshots"
            )
        errors = [f"session {r.index}: {r.error}" for r in results if r.error]
        assert not errors, "\n".join(errors)
        stats = summarize(results)
        assert stats["changes"] == SESSIONS * 2
        # Still responsive afterwards: a new session paints its own numbers.
        (late,) = run_sessions(server.url, 1, changes=1)
        assert not late.error, late.error
        print(
            f"\n{SESSIONS} sessions: control change median {stats['median_s']:.2f} s, "
            f"p95 {stats['p95_s']:.2f} s; first paint median {stats['first_paint_median_s']:.2f} s; "
            f"server peak RSS {memory.peak_kib / 1024:.0f} MiB"
        )


TRAINERS = 5  # more than the 2 training slots, so some must queue


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.usefixtures("browser")
def test_simultaneous_trainings_queue_and_all_finish() -> None:
    with streamlit_server(ARTIFACTS / "streamlit-training-concurrency.log") as server:
        results = run_training_sessions(server.url, TRAINERS)
        errors = [f"session {r.index}: {r.error}" for r in results if r.error]
        assert not errors, "\n".join(errors)
        # With 5 presses and 2 slots, someone waited and was shown their place in the queue.
        assert any(r.saw_queue for r in results)
        finished = sorted(round(r.finished_s, 1) for r in results)
        print(f"\n{TRAINERS} simultaneous trainings, all finished; seconds to verdict: {finished}")
