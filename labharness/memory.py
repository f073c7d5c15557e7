"""A process's resident memory, read from ``/proc``: now (`rss_kib`) or its peak (`PeakMemory`)."""

from __future__ import annotations

import threading
from pathlib import Path


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size of a process (this one by default) in KiB, from ``/proc``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"VmRSS not found for process {pid}")


class PeakMemory:
    """Samples a process's resident memory (``/proc/PID/status``) in a background thread."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        self.pid, self.interval_s = pid, interval_s
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def current_kib(self) -> int:
        """Resident set size now, in KiB (0 once the process is gone)."""
        try:
            return rss_kib(self.pid)
        except (OSError, RuntimeError):
            return 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self.current_kib())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
