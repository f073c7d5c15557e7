"""A server's worker processes and the libraries mapped into a process (from ``/proc``)."""

from __future__ import annotations

from pathlib import Path

#: Shared objects that only a process which imported TensorFlow maps.
TENSORFLOW_LIBRARIES = ("libtensorflow", "_pywrap_tensorflow")


def mapped_libraries(pid: int, names: tuple[str, ...] = TENSORFLOW_LIBRARIES) -> list[str]:
    """Files mapped into process ``pid`` whose path contains one of ``names``."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return sorted(
        {line.split()[-1] for line in maps.splitlines() if any(name in line for name in names)}
    )


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (a server's worker pool and helpers)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:  # the process ended while we looked
            continue
        parent = next((line.split()[1] for line in lines if line.startswith("PPid:")), None)
        if parent == str(pid):
            found.append(int(status.parent.name))
    return found
