"""Hostile widget values over the websocket, at scale (issue 15): how many end in an error box.

Run from the repository root::

    python bench/ws_fuzz.py [--cases 10000] [--seed 0] [--port PORT]

Starts the app as the README does (``python -m bilstm_lab app``) on a free port unless
``--port`` names a running one, sends ``--cases`` hand-made `rerun_script` messages spread
over every page (`labharness.ws_hostile`: wrong value types per widget kind, NaN and
infinities, out-of-range values, unknown options, unknown widget ids), hostile query strings
and malformed frames, while a bystander session keeps its own model; prints the counts: runs
that carried Streamlit's exception element, runs whose page lost its title, hung sessions,
connections the server closed, and whether the bystander's page changed.
Prints, never asserts; ``tests/browser/test_hostile_websocket.py`` runs a seeded sample.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the lab and the harness

from labharness.paths import ARTIFACTS  # noqa: E402
from labharness.server import free_port, start_streamlit, stop_process  # noqa: E402
from labharness.ws_hostile import Tally, fuzz  # noqa: E402


def _report(tally: Tally) -> None:
    print(f"cases: {tally.cases} in {tally.seconds:.1f} s ({dict(tally.by_kind)})")
    print(f"widget-value and query cases by page: {dict(tally.by_page)}")
    print(f"exception elements: {tally.exceptions}")
    print(f"page title missing: {tally.missing_title}")
    print(f"hung sessions: {tally.hung}")
    print(f"connections closed by the server: {tally.closed}")
    print(f"malformed frames that cost their own connection (expected): {tally.closed_malformed}")
    print(f"bystander changed: {tally.bystander_changed}")
    print(f"runs with either, by page: {dict(tally.failed_by_page)}")
    for failure in tally.failures:
        print(f"  {failure}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, help="a running server's port (default: start one)")
    args = parser.parse_args()
    if args.port:
        _report(fuzz(args.port, args.cases, args.seed))
        return 0
    port = free_port()
    server = start_streamlit(port, ARTIFACTS / "ws-fuzz-server.log")
    try:
        _report(fuzz(port, args.cases, args.seed))
    finally:
        stop_process(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
