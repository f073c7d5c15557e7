"""Job functions for the memory-ceiling tests, run inside worker processes by import path."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: Memory taken by `hold_memory`, kept alive until the job ends.
_held: list[bytes] = []


def hold_memory(
    payload: dict[str, Any], report: Callable[[Any], None], should_stop: Callable[[], bool]
) -> int:
    """Take ``payload["mb"]`` MB, 16 MB at a time (each byte written, so it is resident)."""
    chunk = 16 * 1024 * 1024
    try:
        for _ in range(int(payload["mb"]) // 16):
            _held.append(b"\x01" * chunk)
            time.sleep(0.02)
        return len(_held) * 16
    finally:
        _held.clear()


def hold_and_finish(
    payload: dict[str, Any], report: Callable[[Any], None], should_stop: Callable[[], bool]
) -> int:
    """Take ``payload["mb"]`` MB at once and keep it after returning (until the process ends)."""
    _kept.append(b"\x01" * (int(payload["mb"]) * 1024 * 1024))
    return int(payload["mb"])


#: What `hold_and_finish` keeps after its job ended.
_kept: list[bytes] = []


def serve_with_a_slow_watchdog(conn: Any, stop_event: Any) -> None:
    """`serve`, its watchdog looking only once a minute (a process target for the tests)."""
    from bilstm_lab.workers import worker

    worker.MEMORY_POLL = 60.0
    worker.serve(conn, stop_event, ())
