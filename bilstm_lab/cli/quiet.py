"""Keep TensorFlow's native start-up noise off the terminal (CLI only)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Hide what TensorFlow's C++ runtime writes straight to file descriptor 2 at start-up.

    Its absl/oneDNN/CUDA notices bypass Python's logging (and TF_CPP_MIN_LOG_LEVEL), and in a
    terminal they bury the one line the user asked for. Only the CLI does this: the server
    never redirects a process-wide file descriptor.
    """
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
