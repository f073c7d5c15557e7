"""The Convert page: a real model's recurrent layers become bidirectional (or the reverse).

The server never holds a Keras model. The page keeps the model file's bytes (the upload, capped,
or an example's) and what the workers said about them (plain data from `bilstm_lab.core`) in
``st.session_state`` — per browser session, never a process-wide cache — and every load,
conversion and save/reload check runs as a job in a worker process (`bilstm_lab.ui.pool`).
Every failure becomes one ``st.error``; a failed job is remembered per input, so a rerun does
not send the same bad file to a worker again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.conversion import (
    ConversionCheck,
    ConversionReport,
    ConvertRequest,
    ConvertResult,
    Direction,
)
from bilstm_lab.core.errors import InputError
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.model_info import (
    EXAMPLE_TITLES,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_MB,
    ExampleModel,
    InspectRequest,
    ModelInfo,
    file_too_large,
)
from bilstm_lab.core.spec import MergeMode
from bilstm_lab.render.model_graph import (
    Role,
    colour_key_html,
    layer_roles,
    model_dot,
)
from bilstm_lab.ui import display
from bilstm_lab.ui.common import show_input_error
from bilstm_lab.ui.downloads import model_graph_downloads
from bilstm_lab.ui.pool import worker_pool
from bilstm_lab.workers.errors import JobCancelled, JobError, WorkerLost, WorkerOutOfMemory

SOURCE_EXAMPLE = "Built-in example"
SOURCE_UPLOAD = "Upload a .keras file"
TO_BI = "LSTM → BiLSTM (wrap)"
TO_UNI = "BiLSTM → LSTM (unwrap)"
#: The direction radio's labels and what they ask the converter for.
DIRECTIONS = {TO_BI: Direction.WRAP, TO_UNI: Direction.UNWRAP}

# Session-state keys (besides the widgets' own).
LOADED_KEY = "convert_loaded"
RESULT_KEY = "convert_result"
FAILURE_KEY = "convert_failure"
#: Key of the container holding the Before/After diagrams (its class scopes their style).
DIAGRAMS_KEY = "convert_diagrams"


@dataclass(frozen=True)
class LoadedModel:
    """The model file the page works on, where it came from, and its table and graph.

    Attributes:
        key: identifies the source (``example:<key>`` or ``upload:<file id>:<size>``).
        label: its display name (file name or example title; user text for an upload).
        data: the ``.keras`` bytes (at most `MAX_UPLOAD_BYTES`).
        info: what a worker read from them.
    """

    key: str
    label: str
    data: bytes
    info: ModelInfo


@dataclass(frozen=True)
class ConvertedModel:
    """One conversion: its options, the checked bytes, the report and the converted graph."""

    key: tuple[Any, ...]
    report: ConversionReport
    data: bytes
    check: ConversionCheck
    info: ModelInfo


@dataclass(frozen=True)
class Failure:
    """A job that failed for one input (``key``): shown again on reruns, never resubmitted."""

    key: tuple[Any, ...]
    what: str
    error: BaseException


class _Shown(Exception):
    """The page has shown why it cannot go on (ends this run's drawing quietly)."""


def plain_text(text: str) -> str:
    """Neutralise Markdown link/image/HTML syntax in text that may come from an uploaded file.

    File and layer names are user-controlled, and ``st.error`` renders Markdown: an image link in
    a name would make every viewer's browser fetch a URL.
    """
    for char in "\\[]<>`":
        text = text.replace(char, "\\" + char)
    return text


def _show_failure(failure: Failure) -> None:
    error = failure.error
    retry = False
    if isinstance(error, InputError):  # UploadError, ConversionError, SpecError: all say why
        show_input_error(ValueError(plain_text(str(error))))
    elif isinstance(error, WorkerOutOfMemory):  # trying again would only do the same
        st.error(explain.JOB_OUT_OF_MEMORY.format(what=failure.what), icon=":material/error:")
    elif isinstance(error, WorkerLost):
        st.error(explain.JOB_INTERRUPTED.format(what=failure.what), icon=":material/error:")
        retry = True
    elif isinstance(error, JobCancelled):
        st.error(explain.JOB_LEFT_QUEUE.format(what=failure.what), icon=":material/error:")
        retry = True
    else:
        kind = error.type_name if isinstance(error, JobError) else type(error).__name__
        show_input_error(ValueError(f"the model could not be processed: {kind}"))
    if retry and st.button("Try again", icon=":material/refresh:", key="convert_retry"):
        st.session_state.pop(FAILURE_KEY, None)
        st.rerun()


def _run_job(key: tuple[Any, ...], job: str, payload: object, what: str, spinner: str) -> Any:
    """Run a worker job for the input ``key`` and return its result.

    Raises:
        _Shown: the job failed now or earlier for this same input; the reason is on the page.
    """
    failure = st.session_state.get(FAILURE_KEY)
    if failure is not None and failure.key == key:
        _show_failure(failure)
        raise _Shown
    st.session_state.pop(FAILURE_KEY, None)
    try:
        with st.spinner(spinner):
            return worker_pool().submit(job, payload).wait()
    except Exception as error:  # the job's own error, WorkerLost, JobCancelled or JobError
        failure = Failure(key, what, error)
    st.session_state[FAILURE_KEY] = failure
    _show_failure(failure)
    raise _Shown


def _load(source: str) -> LoadedModel | None:
    """The chosen example or the uploaded file, read by a worker once per session and source."""
    fetch: Callable[[str], LoadedModel]
    if source == SOURCE_EXAMPLE:
        example = st.selectbox(
            "Example model",
            list(EXAMPLE_TITLES),
            format_func=lambda k: EXAMPLE_TITLES[k],
            key="convert_example",
        )
        cache_key = f"example:{example}"
        if display.locked():  # the picker is hidden: say which model this is
            st.markdown(explain.converted_model_name(EXAMPLE_TITLES[example]))

        def fetch(key: str) -> LoadedModel:
            built: ExampleModel = _run_job(
                ("load", key), "example_model", example, "Loading the model", "Loading the model…"
            )
            return LoadedModel(key, built.title, built.data, built.info)
    else:
        uploaded = st.file_uploader(
            "A model saved with `model.save('model.keras')` "
            f"(at most {MAX_UPLOAD_MB} MB; loaded with safe_mode=True)",
            # Any file: a wrong one (a legacy .h5, a text file) gets the lab's own message from
            # the loader, not Streamlit's "file type not allowed" error box.
            type=None,
            key="convert_upload",
            # The lab's one limit, so the browser refuses exactly what the lab would.
            max_upload_size=MAX_UPLOAD_MB,
        )
        if uploaded is None:
            st.info(
                "Upload a `.keras` file, or pick a built-in example above.", icon=":material/info:"
            )
            return None
        name = re.sub(r"[^\w.\- ]", "_", uploaded.name)[:80]  # user text, shown in messages
        if uploaded.size > MAX_UPLOAD_BYTES:  # refuse before reading the bytes
            raise file_too_large(name, uploaded.size)
        cache_key = f"upload:{uploaded.file_id}:{uploaded.size}"
        file = uploaded

        def fetch(key: str) -> LoadedModel:
            data = file.getvalue()
            info: ModelInfo = _run_job(
                ("load", key),
                "inspect_upload",
                InspectRequest(data, name),
                "Loading the model",
                "Loading the model…",
            )
            return LoadedModel(key, name, data, info)

    loaded = st.session_state.get(LOADED_KEY)
    if loaded is not None and loaded.key == cache_key:
        return loaded
    # A new model: forget the old one and its conversion (their bytes add up).
    st.session_state.pop(LOADED_KEY, None)
    st.session_state.pop(RESULT_KEY, None)
    loaded = fetch(cache_key)
    st.session_state[LOADED_KEY] = loaded
    return loaded


def _convert(loaded: LoadedModel) -> ConvertedModel | None:
    """Read the conversion options and convert (once per session and set of options)."""
    plain, wrapped = list(loaded.info.recurrent), list(loaded.info.bidirectional)
    directions = ([TO_BI] if plain else []) + ([TO_UNI] if wrapped else [])
    if not directions:
        st.info("This model has no layer the converter can change.", icon=":material/info:")
        return None
    left, middle, right = st.columns([1.2, 2, 1.3])
    direction = left.radio("Direction", directions, key="convert_direction")
    names = plain if direction == TO_BI else wrapped
    layers = middle.multiselect(
        "Layers to convert", names, default=names, key=f"convert_layers:{loaded.key}:{direction}"
    )
    merge, warm = MergeMode.CONCAT.value, True
    if direction == TO_BI:
        merge = right.selectbox(
            "Merge mode", [mode.value for mode in MergeMode], key="convert_merge"
        )
        warm = right.toggle(
            "Warm start forward",
            value=True,
            key="convert_warm",
            help="Start each forward direction from the original layer's weights",
        )
    if not layers:
        st.info("Choose at least one layer to convert.", icon=":material/info:")
        return None
    key = (loaded.key, direction, tuple(layers), merge, warm)
    result = st.session_state.get(RESULT_KEY)
    if result is not None and result.key == key:
        return result
    st.session_state.pop(RESULT_KEY, None)
    request = ConvertRequest(
        data=loaded.data,
        name=loaded.label,
        direction=DIRECTIONS[direction],
        layers=tuple(layers),
        merge_mode=merge,
        warm_start=warm,
        seed=0,
    )
    converted: ConvertResult = _run_job(
        ("convert", *key),
        "convert_upload",
        request,
        "The conversion",
        "Converting, saving and re-loading the model…",
    )
    result = ConvertedModel(key, converted.report, converted.data, converted.check, converted.info)
    st.session_state[RESULT_KEY] = result
    return result


def _layer_table(info: ModelInfo) -> pd.DataFrame:
    frame = pd.DataFrame(info.rows())
    frame["params"] = frame["params"].map(fmt)
    return frame


def render() -> None:
    """Draw the whole Convert page."""
    st.title("Convert a model: LSTM → BiLSTM")
    st.caption(
        "Wrap the recurrent layers of a real Keras model in `Bidirectional`. Layers whose weight "
        "shapes do not change keep their weights; the forward direction can start from the "
        "original layer (the backward direction always starts new); layers whose input widened "
        "are freshly initialised. Everything new is listed, to retrain."
    )
    source = st.radio(
        "Model", [SOURCE_EXAMPLE, SOURCE_UPLOAD], horizontal=True, key="convert_source"
    )
    try:
        loaded = _load(source)
        if loaded is None:
            return
        result = _convert(loaded)
    except _Shown:
        return
    except InputError as error:  # an upload refused before any job (too large)
        show_input_error(ValueError(plain_text(str(error))))
        return
    if result is None:
        return
    _show_result(loaded, result)


def _show_diagrams(loaded: LoadedModel, result: ConvertedModel, stem: str) -> None:
    """Before and after, side by side, under the key of the After diagram's colours.

    Each has its SVG and PNG downloads (file names start with ``stem``).
    """
    roles = layer_roles(result.report.freshness_by_layer(), result.report.changed_layers)
    scale = display.text_scale()
    box = st.container(key=DIAGRAMS_KEY)
    with box:
        # The key holds no user text (names stay in the diagrams): fixed words and colours.
        st.markdown(colour_key_html({Role.UNCHANGED, *roles.values()}), unsafe_allow_html=True)
        left, right = st.columns(2)
    with left:
        st.subheader("Before")
        st.graphviz_chart(model_dot(loaded.info, text_scale=scale))
        model_graph_downloads(loaded.info, None, stem, converted=False)
        st.dataframe(_layer_table(loaded.info), hide_index=True, width="stretch")
    with right:
        st.subheader("After")
        st.graphviz_chart(model_dot(result.info, roles, text_scale=scale))
        model_graph_downloads(result.info, roles, stem, converted=True)
        st.dataframe(_layer_table(result.info), hide_index=True, width="stretch")


def _show_result(loaded: LoadedModel, result: ConvertedModel) -> None:
    report = result.report
    a, b, c = st.columns(3)
    a.metric("Parameters before", fmt(report.params_before))
    b.metric(
        "Parameters after",
        fmt(report.params_after),
        delta=f"{report.params_after / report.params_before:.2f}×",
        delta_color="off",
    )
    c.metric("Layers to retrain", str(len(report.retrain_layers)))
    retrain = report.retrain_note(markdown=True)
    if retrain:
        st.warning(retrain, icon=":material/warning:")

    st.subheader("What happened to each layer")
    st.dataframe(
        pd.DataFrame(
            [
                {**row.to_dict(), "params": f"{fmt(row.params_before)} → {fmt(row.params_after)}"}
                for row in report.rows
            ]
        ).drop(columns=["params before", "params after"]),
        hide_index=True,
        width="stretch",
    )
    name = loaded.info.name
    base = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60] or "model"
    _show_diagrams(loaded, result, base)

    # Layer and loss names come from the file: shown as text, never as Markdown.
    st.success(
        "  \n".join(plain_text(line) for line in result.check.lines()),
        icon=":material/check_circle:",
    )
    st.caption(plain_text(report.compile.sentence()))
    suffix = "_bidirectional" if result.key[1] == TO_BI else "_unwrapped"
    st.download_button(
        "Download the converted .keras",
        icon=":material/download:",
        data=result.data,
        file_name=f"{base}{suffix}.keras",
        mime="application/octet-stream",
        key="convert_download",
        type="primary",
    )
