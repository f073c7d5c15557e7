"""A class on the teacher's link: what the 31st student waits when 30 pressed Train before.

Run from the repository root::

    python bench/shared_runs.py [--class-size 30] [--port PORT]

Starts the app as the README does (unless ``--port`` names a running one); 30 Training Lab
pages, each from its own client address (127.0.1.x), open the same link and press Train one
after another; then a 31st does. Prints how long the first page waited for its results (the
one training the server runs), how long the 31st waited from its Train to its results, and
the shared-run line the 31st page shows. Prints, never asserts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the lab and the harness

from labharness.async_run import run_async  # noqa: E402
from labharness.paths import ARTIFACTS  # noqa: E402
from labharness.server import free_port, start_streamlit, stop_process  # noqa: E402
from labharness.ws_training import open_training  # noqa: E402

#: The teacher's link: the Training Lab's default lesson with one run number for everyone.
LINK = "task=look_ahead&seed=2026"


async def _class(port: int, size: int) -> tuple[float, float, str]:
    tabs = [await open_training(port, LINK, f"127.0.1.{i + 1}") for i in range(size + 1)]
    try:
        started = time.monotonic()
        for tab in tabs[:size]:
            await tab.press("Train")
        late = tabs[size]
        await late.press("Train")
        pressed = time.monotonic()
        shared = next((c for c in late.run.captions if c.startswith("Shared run")), "")
        await late.until(lambda tab: tab.finished, timeout=600)
        late_wait = time.monotonic() - pressed
        await tabs[0].until(lambda tab: tab.finished, timeout=600)
        return time.monotonic() - started, late_wait, shared
    finally:
        for tab in tabs:
            await tab.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-size", type=int, default=30)
    parser.add_argument("--port", type=int, help="a running server's port (default: start one)")
    args = parser.parse_args()
    server = None
    port = args.port
    if port is None:
        port = free_port()
        server = start_streamlit(port, ARTIFACTS / "bench-shared-runs.log")
    try:
        first, late, shared = run_async(_class(port, args.class_size))
    finally:
        if server is not None:
            stop_process(server)
    print(f"the first page's training, Train to results: {first:.1f} s")
    print(f"student {args.class_size + 1}, Train to results: {late:.1f} s")
    print(f"student {args.class_size + 1}'s page said: {shared}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
