"""What the upload guard costs and saves: refusing a hostile file vs loading a small real one.

Run from the repository root::

    python bench/upload_guard.py [--repeats 20]

Prints, never asserts (timings depend on the machine), each the median of ``--repeats`` calls of
`load_model_bytes` in this process:

1. loading a small legitimate model (Input → LSTM(32) → Dense(2)): the baseline;
2. refusing the same model edited to read 500,000 and 1,000,000 features (an LSTM(32): 64 M and
   128 M weights, which Keras would allocate before reading the file's values), a file of
   10,000 layers and a Sequential of 100 (5,050 layer calls to rebuild); each with its ratio to
   the baseline and the memory this process gained;
3. loading the longest Sequential model the guard accepts (99 layers: Keras rebuilds it after
   every layer it adds, 4,950 layer calls), once: the most CPU an accepted file's rebuild costs;
4. the guard's walk alone on keras.io's IMDB BiLSTM config, per layer.

Nothing here builds the huge models: their config.json is an edit of the small model's.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import statistics
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the lab and the tests

from bilstm_lab.core.config_weights import size_config  # noqa: E402
from bilstm_lab.core.errors import UploadError  # noqa: E402
from bilstm_lab.models.model_io import load_model_bytes  # noqa: E402
from bilstm_lab.workers.worker import resident_mb  # noqa: E402
from tests.test_upload_guard import SMALL, _many_layers, _saved, _widen  # noqa: E402


def _median_seconds(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with contextlib.suppress(UploadError):
            action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _refusal(data: bytes) -> str:
    try:
        load_model_bytes(data, "hostile.keras", recurrent_only=False)
    except UploadError as error:
        return f"{type(error).__name__}: {error}"
    return "LOADED (not refused)"


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    load_model_bytes(SMALL, "small.keras")  # warm Keras up: the baseline is a warm load
    baseline = _median_seconds(lambda: load_model_bytes(SMALL, "small.keras"), args.repeats)
    print(f"load a small legitimate model (median of {args.repeats}):  {baseline * 1000:8.2f} ms")
    print()
    print("refuse a hostile file (same process, median):")
    cases = {
        "LSTM(32) reading 500,000 features": _widen(500_000),
        "LSTM(32) reading 1,000,000 features": _widen(1_000_000),
        "10,000 layers": _many_layers(10_000),
        "a Sequential of 100 layers (5,050 calls)": _many_layers(100),
    }
    for label, data in cases.items():
        before = resident_mb() or 0.0
        refuse = functools.partial(load_model_bytes, data, "hostile.keras", recurrent_only=False)
        seconds = _median_seconds(refuse, args.repeats)
        gained = (resident_mb() or 0.0) - before
        print(
            f"  {label:38s} {seconds * 1000:8.2f} ms   {seconds / baseline:6.3f}× the load   "
            f"memory +{gained:.1f} MB"
        )
        print(f"    {_refusal(data)[:150]}…")
    print()
    longest = _many_layers(99)  # 4,950 layer calls: the longest Sequential the guard accepts
    started = time.perf_counter()
    load_model_bytes(longest, "longest.keras", recurrent_only=False)
    seconds = time.perf_counter() - started
    print(
        f"load the longest Sequential accepted (99 layers, once): {seconds:6.2f} s "
        f"= {seconds / baseline:.0f}× the small load (Keras rebuilds it after every layer)"
    )
    print()
    data, _ = _saved("imdb_bidirectional")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        config = json.loads(archive.read("config.json"))
    walk = _median_seconds(lambda: size_config(config), args.repeats * 10)
    layers = size_config(config).layers
    print(
        f"the walk alone on keras.io's IMDB BiLSTM ({layers} layer configs): "
        f"{walk * 1e6:.0f} µs, {walk / layers * 1e6:.1f} µs a layer"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
