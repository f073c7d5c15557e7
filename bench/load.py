"""Control-change latency and server memory under N concurrent sessions (N = 1, 10, 20, 40).

Usage: ``python bench/load.py [--sessions 1,10,20,40] [--changes 5] [--training N]``

Starts one ``streamlit run app.py`` server on a free localhost port, then for each N runs N
simulated students at once (Streamlit's websocket protocol, see ``labharness/ws_client.py``):
each opens the Explorer with its own configuration, checks it gets its own totals back, and
changes the units control. Prints the median and 95th-percentile latency of a control change
(from sending the new value to the server finishing the rerun with the right totals), the
ratio to the single-session median (the baseline, measured in the same run), and the server's
peak resident memory.

``--training N`` then measures 20 sessions twice more: idle, and while N trainings of distinct
configurations (each from its own client address, pressing Train on the Training Lab) run
through the worker pool. Its last line is exactly
``load: sessions=20 p95=X s idle, p95=Y s with N trainings``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bilstm_lab.workers.settings import DEFAULT_WORKERS
from labharness.async_run import run_async
from labharness.memory import PeakMemory
from labharness.paths import ARTIFACTS
from labharness.server import streamlit_server
from labharness.sessions import SessionResult, summarize
from labharness.ws_client import run_ws_sessions, ws_sessions
from labharness.ws_training import TrainingTab, open_training

#: Sessions exploring during the ``--training`` measurement.
TRAINING_SESSIONS = 20
#: Each training at the page's large settings: it runs for its whole time budget.
TRAINING_QUERY = "task=look_ahead&samples=10000&epochs=40&units=128&seed={seed}"


async def _start_trainings(port: int, count: int) -> list[TrainingTab]:
    """``count`` pages press Train on distinct runs; returns once the pool is busy with them."""
    tabs = [
        await open_training(port, TRAINING_QUERY.format(seed=500 + i), f"127.0.2.{i + 1}")
        for i in range(count)
    ]
    for tab in tabs:
        await tab.press("Train")
    await tabs[0].until(lambda tab: tab.running, timeout=300)
    return tabs


def _p95(results: list[SessionResult]) -> float:
    errors = [r.error for r in results if r.error]
    if errors:
        raise RuntimeError(f"{len(errors)} sessions failed, first: {errors[0]}")
    return summarize(results)["p95_s"]


async def _with_training(port: int, trainings: int, changes: int) -> tuple[float, float]:
    # One event loop for all of it: the training pages' websockets live in the loop that
    # opened them.
    idle = _p95(await ws_sessions(port, TRAINING_SESSIONS, changes))
    tabs = await _start_trainings(port, trainings)
    try:
        busy = _p95(await ws_sessions(port, TRAINING_SESSIONS, changes))
    finally:
        for tab in tabs:
            await tab.close()
    return idle, busy


def measure_with_training(port: int, trainings: int, changes: int) -> str:
    """The ``load:`` line: p95 of 20 exploring sessions, idle and with ``trainings`` running."""
    idle, busy = run_async(_with_training(port, trainings, changes))
    return (
        f"load: sessions={TRAINING_SESSIONS} p95={idle:.2f} s idle, "
        f"p95={busy:.2f} s with {trainings} trainings"
    )


def main() -> int:
    """Run the load levels and print one line per level."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,10,20,40", help="comma-separated session counts")
    parser.add_argument("--changes", type=int, default=5, help="control changes per session")
    parser.add_argument(
        "--training", type=int, default=0, metavar="N", help="then measure with N trainings"
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.sessions.split(",")]
    baseline = None
    print(
        f"{'sessions':>8} {'changes':>8} {'median s':>9} {'p95 s':>7} {'p95/base':>9} {'peak RSS MiB':>13}"
    )
    with streamlit_server(ARTIFACTS / "bench-load-server.log") as server:
        # A class meets a server whose workers are warm; measuring sooner measures the import.
        if server.wait_for_warm_workers() < DEFAULT_WORKERS:
            print("warning: the workers did not report ready in time; the figures include them")
        run_ws_sessions(server.port, 1, changes=2)  # warm-up: imports, first script compile
        for sessions in levels:
            with PeakMemory(server.pid) as memory:
                results = run_ws_sessions(server.port, sessions, changes=args.changes)
            errors = [r.error for r in results if r.error]
            if errors:
                print(f"{sessions:>8}  {len(errors)} sessions failed, first: {errors[0]}")
                continue
            stats = summarize(results)
            median, p95 = stats["median_s"], stats["p95_s"]
            baseline = baseline or median
            print(
                f"{sessions:>8} {stats['changes']:>8.0f} {median:>9.3f} {p95:>7.3f} {p95 / baseline:>8.1f}× {memory.peak_kib / 1024:>13.0f}"
            )
        print("baseline: the median control change with 1 session, same server, same run")
        if args.training:
            print(measure_with_training(server.port, args.training, args.changes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
