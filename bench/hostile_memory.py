"""Memory after hostile traffic: do the server and its workers return to their baseline?

Run from the repository root::

    python bench/hostile_memory.py [--rounds 3]

This process plays the server: it starts the lab's worker pool (two warm workers, as
``python -m bilstm_lab app`` on this machine) and sends it, ``--rounds`` times, the traffic of
issue 14's hostile hour: the wide-input uploads (an LSTM(32) reading 500,000 and 1,000,000
features), a 10,000-layer file, four simultaneous "Verify with real Keras" of ~26 M-parameter
models, and two trainings at the page's largest settings. Prints the resident memory (MiB) of
this process and of each worker before, after each round, and once the pool has replaced any
worker that retired. Prints, never asserts.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the lab and the tests

from bilstm_lab.core.model_info import InspectRequest  # noqa: E402
from bilstm_lab.core.spec import FeatureInput, ModelSpec  # noqa: E402
from bilstm_lab.core.train_config import PAGE_TIME_BUDGET, TrainConfig  # noqa: E402
from bilstm_lab.workers.job import Job  # noqa: E402
from bilstm_lab.workers.pool import WorkerPool  # noqa: E402
from bilstm_lab.workers.worker import resident_mb  # noqa: E402

WARM = ("tensorflow", "keras", "bilstm_lab.training.warmup:warm_up")
#: Both variants together ~26 M parameters: under the 30 M "Verify" limit, as large as allowed.
BIG = ModelSpec(units=(900,), input=FeatureInput(seq_len=10, features=1500))
LARGEST_RUN = TrainConfig(samples=10_000, epochs=40, units=128, time_budget=PAGE_TIME_BUDGET)


def _rss(pid: int) -> float:
    with open(f"/proc/{pid}/statm", "rb") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}/statm").exists()


def _memory(pool: WorkerPool) -> str:
    workers = ", ".join(f"{_rss(pid):.0f}" for pid in sorted(pool.pids()) if _alive(pid))
    return f"server {resident_mb() or 0:.0f}; workers {workers}"


def hostile_file(kind: str, report: object, should_stop: object) -> bytes:
    """A worker job: the hostile upload ``kind`` (built in the worker: it needs Keras, and this
    process plays the server, which never imports TensorFlow)."""
    from tests.test_upload_guard import _many_layers, _widen

    return _many_layers(10_000) if kind == "layers" else _widen(int(kind))


def _round(pool: WorkerPool, files: dict[str, bytes]) -> None:
    jobs = [
        *(
            pool.submit("inspect_upload", InspectRequest(data, f"{kind}.keras"))
            for kind, data in files.items()
        ),
        *(pool.submit("verify", BIG.to_json()) for _ in range(4)),
        *(pool.submit("train", LARGEST_RUN) for _ in range(2)),
    ]
    # A page watching each job (wait touches it), as the real pages do.
    with ThreadPoolExecutor(len(jobs)) as watchers:
        list(watchers.map(_outcome, jobs))


def _outcome(job: Job) -> str:
    try:
        job.wait(900)
    except Exception as error:  # refusals are the expected outcome of the hostile uploads
        return type(error).__name__
    return "done"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with WorkerPool(2, warm_modules=WARM) as pool:
        pool.wait_ready(600)
        files = {
            kind: pool.submit("bench.hostile_memory:hostile_file", kind).wait(300)
            for kind in ("500000", "1000000", "layers")
        }
        print(f"before:           {_memory(pool)} MiB")
        for number in range(1, args.rounds + 1):
            _round(pool, files)
            print(f"after round {number}:    {_memory(pool)} MiB")
        time.sleep(1)
        pool.wait_ready(600)
        print(f"pool ready again: {_memory(pool)} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
