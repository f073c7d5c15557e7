"""Training as a worker job: the entry point `bilstm_lab.workers` runs in a worker process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bilstm_lab.core.results import LiveCurve, Progress, TrainResult
from bilstm_lab.core.train_config import TrainConfig
from bilstm_lab.training.loop import train


def train_job(
    config: TrainConfig, report: Callable[[Any], None], should_stop: Callable[[], bool]
) -> TrainResult:
    """Train ``config``; report a `LiveCurve` as it goes; return the result without models.

    The models stay in the worker (and are freed with the job): the page needs only numbers,
    and a Keras model would drag TensorFlow into the server when unpickled.
    """
    curve = LiveCurve()

    def on_progress(progress: Progress) -> None:
        report(curve.add(progress))

    result = train(config, on_progress=on_progress, should_stop=should_stop)
    return replace(result, uni_model=None, bi_model=None)
