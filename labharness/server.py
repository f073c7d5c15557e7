"""A real ``streamlit run app.py`` server on a free localhost port: start, wait for health, stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bilstm_lab.workers.settings import DEFAULT_WORKERS
from labharness.paths import ROOT

SERVER_START_TIMEOUT = 120  # seconds; TensorFlow is not imported at start-up, but CI is slow
#: What a worker writes to the server's log once it has imported TensorFlow (`workers.worker`).
WORKER_READY_LINE = "] ready ("


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_streamlit(
    port: int,
    log_path: Path,
    extra_args: list[str] | None = None,
    *,
    command: list[str] | None = None,
    cwd: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """Start the app as the README does (``python -m bilstm_lab app``) and wait until healthy.

    The launcher starts the worker pool with the server, then runs ``streamlit run``; every
    flag here is Streamlit's own.

    Args:
        port: the port to serve on.
        log_path: where the server's output goes.
        extra_args: more Streamlit flags.
        command: the command that starts the app, flags excluded (an installed copy's
            ``[".../bin/bilstm-lab", "app"]``); ``python -m bilstm_lab app`` by default.
        cwd: the directory to start it in.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            *(command or [sys.executable, "-m", "bilstm_lab", "app"]),
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            *(extra_args or []),
        ],
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(
        f"streamlit did not become healthy in {SERVER_START_TIMEOUT}s; see {log_path}"
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass(frozen=True)
class StreamlitServer:
    """A running server: its port, base URL and process (``pid`` for memory sampling)."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8501``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def wait_for_warm_workers(self, timeout: float = SERVER_START_TIMEOUT) -> int:
        """Wait until every worker has imported TensorFlow; returns how many said so.

        A fresh server's workers spend their first ~20 s importing TensorFlow on both cores.
        A classroom's server was started before the lesson, so a measurement of the server's
        answers waits for this first: otherwise it measures the import.
        """
        expected = DEFAULT_WORKERS  # the server inherits this process's environment
        deadline = time.monotonic() + timeout
        ready = 0
        while time.monotonic() < deadline:
            ready = self.log_path.read_text(errors="replace").count(WORKER_READY_LINE)
            if ready >= expected:
                break
            time.sleep(0.5)
        return ready


@contextmanager
def streamlit_server(
    log_path: Path, extra_args: list[str] | None = None
) -> Iterator[StreamlitServer]:
    """A healthy server on a free port for the ``with`` block; stopped afterwards."""
    port = free_port()
    process = start_streamlit(port, log_path, extra_args)
    try:
        yield StreamlitServer(port, process, log_path)
    finally:
        stop_process(process)
