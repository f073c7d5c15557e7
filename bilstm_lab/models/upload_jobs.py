"""The Convert page's worker jobs: inspect an upload, build an example, convert and check.

Each is ``fn(payload, report, should_stop)`` and runs in a worker process (see
`bilstm_lab.workers.jobs.JOBS`); payloads and results are plain data from `bilstm_lab.core`,
so nothing Keras ever crosses to the server. Bad input raises an `UploadError` /
`ConversionError` / `SpecError`, which the pool pickles back for the page to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bilstm_lab.core.conversion import ConvertRequest, ConvertResult
from bilstm_lab.core.model_info import ExampleModel, InspectRequest, ModelInfo
from bilstm_lab.models.convert import convert_and_check
from bilstm_lab.models.examples import EXAMPLES_BY_KEY, build_example
from bilstm_lab.models.introspect import model_info
from bilstm_lab.models.model_io import load_model_bytes, model_to_bytes, saved_compile_config

Report = Callable[[Any], None]
ShouldStop = Callable[[], bool]


def inspect_upload(payload: InspectRequest, report: Report, should_stop: ShouldStop) -> ModelInfo:
    """Load a model file safely (size, archive and config checks, ``safe_mode=True``); describe it.

    Raises:
        UploadError: a subclass naming what is wrong with the file.
    """
    return model_info(load_model_bytes(payload.data, payload.name))


def example_model(payload: str, report: Report, should_stop: ShouldStop) -> ExampleModel:
    """Build the built-in example ``payload`` (its key) and return it as ``.keras`` bytes.

    Raises:
        SpecError: for an unknown key.
    """
    model = build_example(payload, seed=0)
    return ExampleModel(
        key=payload,
        title=EXAMPLES_BY_KEY[payload].title,
        data=model_to_bytes(model),
        info=model_info(model),
    )


def convert_upload(
    payload: ConvertRequest, report: Report, should_stop: ShouldStop
) -> ConvertResult:
    """Load the file, convert it, save, reload (``safe_mode=True``), run and compare.

    The file's compile settings (read from its config: uploads load with ``compile=False``)
    are carried over or the report says why not.

    Returns:
        The checked ``.keras`` bytes, the per-layer report, the check's numbers and the
        converted model's table and graph.

    Raises:
        UploadError: the file cannot be loaded.
        ConversionError: the conversion is refused (the message says why).
        ConversionCheckFailed: the converted model failed its check (no bytes are returned).
    """
    model = load_model_bytes(payload.data, payload.name)
    checked = convert_and_check(
        model,
        payload.direction,
        list(payload.layers) if payload.layers is not None else None,
        merge_mode=payload.merge_mode,
        warm_start=payload.warm_start,
        seed=payload.seed,
        compile_config=saved_compile_config(payload.data),
    )
    return ConvertResult(
        data=checked.data,
        report=checked.conversion.report,
        check=checked.check,
        info=model_info(checked.conversion.model),
    )
