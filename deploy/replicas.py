"""``python -m deploy.replicas --count N --port P``: N replicas of the lab behind nginx.

Each replica is a whole ``python -m bilstm_lab app`` (its own Streamlit server and its own
worker pool) on ``127.0.0.1``, ports ``P+1`` to ``P+N``; nginx, on port ``P``, sends each browser
to one replica and keeps it there (sticky sessions, see ``deploy/nginx.conf.template``). nginx
runs unprivileged from a private directory (its config, pid, logs and temp files; the replicas'
logs too), in the foreground; Ctrl-C stops nginx and every replica.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bilstm_lab.core.model_info import MAX_UPLOAD_MB
from bilstm_lab.ui.visitor import CLIENT_ADDRESS_HEADER_ENV
from bilstm_lab.workers.settings import DEFAULT_WORKERS, MIN_WORKERS, WORKERS_ENV

#: The nginx configuration, with ``@NAME@`` placeholders (nginx's own ``$variables`` stay).
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
#: Where ``python -m bilstm_lab`` runs from (the checkout this file is in).
ROOT = Path(__file__).resolve().parent.parent
#: How long a replica (Streamlit's import and start) or nginx may take to answer its health check.
START_TIMEOUT = 120.0
#: Room above the lab's upload limit for the multipart boundaries and headers around the file.
UPLOAD_MARGIN_MB = 1
#: How long a stopped replica may take to end before it is killed.
STOP_GRACE = 15.0


class DeploymentError(RuntimeError):
    """nginx or a replica did not start; the message says which, and where its log is."""


@dataclass(frozen=True)
class Replica:
    """One ``python -m bilstm_lab app`` process (leader of its own process group) and its log."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, as nginx names it in ``$upstream_addr``."""
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        """End the replica and its worker pool at once, as a crash would (SIGKILL, no clean-up)."""
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait()


@dataclass(frozen=True)
class Deployment:
    """Running replicas behind nginx: ``url`` is what browsers open."""

    url: str
    replicas: list[Replica]
    nginx: subprocess.Popen[bytes]
    directory: Path


def render_config(listen: str, ports: Sequence[int], prefix: Path, max_body_mb: int) -> str:
    """The nginx configuration for replicas on ``ports`` of 127.0.0.1, nginx on ``listen``.

    Args:
        listen: nginx's ``listen`` value, e.g. ``8610`` or ``127.0.0.1:8610``.
        ports: the replicas' ports.
        prefix: nginx's private directory (pid, logs, temp files).
        max_body_mb: largest request body nginx passes on, in MB.
    """
    # max_fails=1: a refused connection is proof enough on one machine; fail_timeout is how long
    # nginx then leaves the replica alone before trying it again.
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in ports
    )
    values = {
        "@PREFIX@": str(prefix),
        "@LISTEN@": listen,
        "@SERVERS@": servers,
        "@MAX_BODY_MB@": str(max_body_mb),
    }
    text = TEMPLATE.read_text()
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    # The replica's worker processes are in its process group: signal them all.
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signum)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process, then kill whatever is left of its group.

    SIGTERM goes to the leader only: a replica stops its own worker pool (workers signalled
    along with it would be replaced by the pool's monitor while it shuts down).
    """
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE)
    _signal_group(process, signal.SIGKILL)
    process.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _wait_healthy(url: str, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeploymentError(f"{what} exited with code {process.returncode}; see {log}")
        if _healthy(url):
            return
        time.sleep(0.3)
    raise DeploymentError(f"{what} did not answer {url}/_stcore/health in {START_TIMEOUT:.0f} s")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers bind: a recent connection's TIME_WAIT does not make a port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_replica(port: int, directory: Path, workers: int) -> Replica:
    """Start ``python -m bilstm_lab app`` on 127.0.0.1:``port`` (not waiting for it)."""
    log = directory / f"replica-{port}.log"
    with log.open("wb") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                sys.executable, "-m", "bilstm_lab", "app",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
            ],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                WORKERS_ENV: str(workers),
                # Every peer is nginx: the student's address comes in nginx's X-Real-IP.
                CLIENT_ADDRESS_HEADER_ENV: "X-Real-IP",
                "TF_CPP_MIN_LOG_LEVEL": "3",
            },
            start_new_session=True,  # own process group: kill() reaches its workers too
        )  # fmt: skip
    return Replica(port, process, log)


def start_nginx(conf: Path, prefix: Path) -> subprocess.Popen[bytes]:
    """Start nginx in the foreground with ``conf``; its own errors go to ``prefix/error.log``."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        raise DeploymentError("nginx is not installed (apt-get install nginx)")
    # -e: the error log nginx opens before it reads the config (by default a root-only path).
    with (prefix / "nginx.out").open("wb") as output:
        return subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the launcher only, which stops it in order
        )


@contextmanager
def replicas(
    ports: Sequence[int],
    port: int,
    *,
    host: str = "127.0.0.1",
    workers: int = MIN_WORKERS,
    directory: Path | None = None,
) -> Iterator[Deployment]:
    """Replicas on ``ports`` behind nginx on ``host:port``, healthy, for the ``with`` block.

    Args:
        ports: one replica per port (127.0.0.1 only: students reach them through nginx).
        port: nginx's port.
        host: the address nginx listens on (``0.0.0.0`` for a classroom).
        workers: worker processes per replica.
        directory: where the config and logs go (kept); a temporary one (removed) if ``None``.

    Raises:
        DeploymentError: a port is taken, nginx is missing, or something did not start.
    """
    taken = [p for p in (port, *ports) if not _port_free(p)]
    if taken:
        raise DeploymentError(f"port(s) already in use: {', '.join(map(str, taken))}")
    with ExitStack() as stack:
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="bilstm-lab-replicas-"))
            stack.callback(shutil.rmtree, directory, True)
        directory.mkdir(parents=True, exist_ok=True)
        # nginx started as root runs its workers as `nobody`, which must reach the temp files.
        directory.chmod(0o755)
        started = []
        for replica_port in ports:  # all start at once; waiting comes after
            replica = start_replica(replica_port, directory, workers)
            stack.callback(_stop, replica.process)
            started.append(replica)
        conf = directory / "nginx.conf"
        max_body = MAX_UPLOAD_MB + UPLOAD_MARGIN_MB
        conf.write_text(render_config(f"{host}:{port}", ports, directory, max_body))
        for replica in started:
            what = f"the replica on port {replica.port}"
            _wait_healthy(f"http://{replica.address}", replica.process, what, replica.log)
        nginx = start_nginx(conf, directory)
        stack.callback(_stop, nginx)
        _wait_healthy(f"http://127.0.0.1:{port}", nginx, "nginx", directory / "error.log")
        shown_host = socket.gethostname() if host == "0.0.0.0" else host
        yield Deployment(f"http://{shown_host}:{port}", started, nginx, directory)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.replicas",
        description="Start N replicas of BiLSTM Lab on consecutive ports behind nginx "
        "(sticky sessions); Ctrl-C stops them all.",
    )
    parser.add_argument("--count", type=int, default=2, help="number of replicas (default 2)")
    parser.add_argument(
        "--port", type=int, default=8500, help="nginx's port; replicas use the next ones"
    )
    parser.add_argument(
        "--host", default="0.0.0.0", help="address nginx listens on (default all: a classroom)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        help=f"worker processes per replica (default: {WORKERS_ENV} or one per CPU, "
        "shared among the replicas)",
    )
    parser.add_argument("--dir", type=Path, help="keep config and logs here (default: a temp dir)")
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Start the deployment, print where it is, and run until Ctrl-C or until nginx ends."""
    # The replicas and nginx have their own process groups (so that a crash test can kill one
    # replica's whole group): a `kill` or a closed terminal must stop them like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    parser = _parser()
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 64:
        parser.error(f"--count must be from 1 to 64, got {args.count}")
    if not 1 <= args.port <= 65535 - args.count:
        parser.error(f"--port must leave room for {args.count} replica ports, got {args.port}")
    workers = args.workers or max(MIN_WORKERS, DEFAULT_WORKERS // args.count)
    ports = [args.port + 1 + i for i in range(args.count)]
    try:
        with replicas(
            ports, args.port, host=args.host, workers=workers, directory=args.dir
        ) as deployment:
            print(f"BiLSTM Lab: {deployment.url} ({args.count} replicas on 127.0.0.1 ports "
                  f"{ports[0]}-{ports[-1]}, {workers} worker(s) each)")  # fmt: skip
            print(f"Config and logs: {deployment.directory}. Ctrl-C stops everything.", flush=True)
            try:
                code = deployment.nginx.wait()
            except KeyboardInterrupt:
                print("Stopping nginx and the replicas…", flush=True)
                return 0
            print(f"nginx ended (code {code}); see {deployment.directory / 'error.log'}")
            return 1
    except DeploymentError as error:
        print(f"replicas: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # during start-up: everything started so far is stopped
        return 130


if __name__ == "__main__":
    sys.exit(main())
