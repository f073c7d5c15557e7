"""Job functions for the worker-pool tests, run inside worker processes by import path.

Each has the job signature ``fn(payload, report, should_stop)``; none imports TensorFlow.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

Report = Callable[[Any], None]
ShouldStop = Callable[[], bool]


class BadInput(ValueError):
    """A `ValueError` subclass: must come back to the server with its type and message."""


class Unpicklable(Exception):
    """Cannot be pickled at all: it holds a lock."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lock = threading.Lock()


class Unloadable(Exception):
    """Pickles, but cannot be unpickled: ``__init__`` wants two arguments, ``args`` has one."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} and {second}")


def echo(payload: Any, report: Report, should_stop: ShouldStop) -> Any:
    """Return the payload unchanged."""
    return payload


def whoami(payload: Any, report: Report, should_stop: ShouldStop) -> int:
    """The worker's pid."""
    return os.getpid()


def count_with_progress(payload: Any, report: Report, should_stop: ShouldStop) -> dict[str, Any]:
    """Count to ``payload["steps"]``, reporting each step; stop early when asked."""
    steps = int(payload.get("steps", 10))
    delay = float(payload.get("delay", 0.05))
    for step in range(1, steps + 1):
        if should_stop():
            return {"stopped": True, "steps": step - 1}
        time.sleep(delay)
        report({"step": step, "of": steps})
    return {"stopped": False, "steps": steps}


def raise_value_error(payload: Any, report: Report, should_stop: ShouldStop) -> None:
    """Fail the way bad user input does."""
    raise BadInput(f"bad input: {payload}")


def raise_unpicklable(payload: Any, report: Report, should_stop: ShouldStop) -> None:
    """Fail with an exception that cannot travel to the server."""
    raise Unpicklable(f"cannot travel: {payload}")


def raise_unloadable(payload: Any, report: Report, should_stop: ShouldStop) -> None:
    """Fail with an exception that pickles but does not unpickle."""
    raise Unloadable("left", "right")


def return_unpicklable(payload: Any, report: Report, should_stop: ShouldStop) -> Any:
    """Return something that cannot be pickled."""
    return threading.Lock()


def sleep_forever_until_stopped(payload: Any, report: Report, should_stop: ShouldStop) -> str:
    """Run until ``should_stop()``; report once so the test knows it has started."""
    report("started")
    while not should_stop():
        time.sleep(0.02)
    return "stopped"


def ignore_stop(payload: Any, report: Report, should_stop: ShouldStop) -> str:
    """Sleep ``payload`` seconds, never looking at ``should_stop`` (a stuck job)."""
    report("started")
    time.sleep(float(payload))
    return "finished"


def loaded_modules(payload: Any, report: Report, should_stop: ShouldStop) -> dict[str, bool]:
    """Which of the module names in ``payload`` the worker has imported."""
    return {name: name in sys.modules for name in payload}


def stamp(payload: Any, report: Report, should_stop: ShouldStop) -> float:
    """When it ran, on the system-wide monotonic clock (comparable across processes)."""
    return time.monotonic()


def keras_layer_names(payload: Any, report: Report, should_stop: ShouldStop) -> list[str]:
    """Build the default BiLSTM with the lab's builder (Keras is imported in the worker only)."""
    from bilstm_lab.core.spec import DEFAULT_SPEC
    from bilstm_lab.models.builder import build_model

    model = build_model(DEFAULT_SPEC, bidirectional=True, seed=0)
    return [layer.name for layer in model.layers]


def live_keras_models(payload: Any, report: Report, should_stop: ShouldStop) -> int:
    """Keras models still alive in this worker (after ``payload`` seconds, to spread the jobs)."""
    import gc

    import keras

    time.sleep(float(payload or 0))
    gc.collect()
    return sum(isinstance(obj, keras.Model) for obj in gc.get_objects())
