"""The Convert page: a real model's recurrent layers become bidirectional (or the reverse).

Everything a user loads or converts lives in ``st.session_state`` (never a process-wide cache):
models are mutable and belong to one browser session. Every failure becomes one ``st.error``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from bilstm_lab.core.analysis import fmt
from bilstm_lab.ui.common import show_input_error

SOURCE_EXAMPLE = "Built-in example"
SOURCE_UPLOAD = "Upload a .keras file"
TO_BI = "LSTM → BiLSTM (wrap)"
TO_UNI = "BiLSTM → LSTM (unwrap)"


@dataclass
class LoadedModel:
    """The model the page works on, and where it came from."""

    key: str
    label: str
    model: Any


@dataclass
class ConvertedModel:
    """One conversion, its saved bytes, and the reload check."""

    key: tuple[Any, ...]
    conversion: Any
    data: bytes
    check: str


def model_dot(model: Any, highlight: set[str] | None = None, fresh: set[str] | None = None) -> str:
    """Graphviz DOT of a Keras model's layer graph, output shapes on the edges.

    Args:
        model: a built Sequential or Functional model.
        highlight: layer names to colour green (the converted ones).
        fresh: layer names to colour orange (freshly initialised).

    Returns:
        DOT text for ``st.graphviz_chart``.
    """
    from bilstm_lab.core.analysis import format_shape
    from bilstm_lab.models.builder import layer_type

    highlight, fresh = highlight or set(), fresh or set()
    edges: set[tuple[str, str]] = set()
    lines = [
        "digraph model {",
        '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#f3f4f6", '
        'fontname="Helvetica", fontsize=11]; edge [fontname="Helvetica", fontsize=10];',
    ]
    for layer in model.layers:
        kind = layer_type(layer)
        fill = "#c7e9c0" if layer.name in highlight else "#f3f4f6"
        fill = "#fdd9a0" if layer.name in fresh else fill
        parts = [layer.name, kind] + (
            [f"{fmt(layer.count_params())} params"] if layer.count_params() else []
        )
        label = "\\n".join(_dot_escape(part) for part in parts)  # DOT's own line breaks
        lines.append(f'  "{_dot_escape(layer.name)}" [label="{label}", fillcolor="{fill}"];')
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in node.input_tensors:
                parent = tensor._keras_history[0]
                # A reloaded Sequential records one node per build/call: draw each edge once.
                if (parent.name, layer.name) in edges:
                    continue
                edges.add((parent.name, layer.name))
                shape = format_shape([tuple(tensor.shape)])
                lines.append(
                    f'  "{_dot_escape(parent.name)}" -> "{_dot_escape(layer.name)}" '
                    f'[label=" {shape}"];'
                )
    lines.append("}")
    return "\n".join(lines)


def plain_text(text: str) -> str:
    """Neutralise Markdown link/image/HTML syntax in text that may come from an uploaded file.

    File and layer names are user-controlled, and ``st.error`` renders Markdown: an image link in
    a name would make every viewer's browser fetch a URL.
    """
    for char in "\\[]<>`":
        text = text.replace(char, "\\" + char)
    return text


def _dot_escape(text: str) -> str:
    # Layer names in an uploaded file are user text: keep quotes from breaking the DOT.
    return text.replace("\\", "/").replace('"', "'")


def _load(source: str) -> LoadedModel | None:
    """The chosen example or the uploaded file, loaded once per session and source."""
    from bilstm_lab.models.examples import EXAMPLES, EXAMPLES_BY_KEY
    from bilstm_lab.models.model_io import MAX_UPLOAD_BYTES, ModelFileTooLarge

    loader: Callable[[], Any]
    if source == SOURCE_EXAMPLE:
        key = st.selectbox(
            "Example model",
            [example.key for example in EXAMPLES],
            format_func=lambda k: EXAMPLES_BY_KEY[k].title,
            key="convert_example",
        )
        cache_key, label = f"example:{key}", EXAMPLES_BY_KEY[key].title

        def loader() -> Any:
            from bilstm_lab.models.examples import build_example

            return build_example(key, seed=0)
    else:
        uploaded = st.file_uploader(
            "A model saved with `model.save('model.keras')` "
            f"(at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; loaded with safe_mode=True)",
            type=["keras"],
            key="convert_upload",
        )
        if uploaded is None:
            st.info("Upload a `.keras` file, or pick a built-in example above.")
            return None
        name = re.sub(r"[^\w.\- ]", "_", uploaded.name)[:80]  # user text, shown in messages
        if uploaded.size > MAX_UPLOAD_BYTES:  # refuse before reading the bytes
            raise ModelFileTooLarge(
                f"{name} is too large: the limit is {MAX_UPLOAD_BYTES / (1024 * 1024):.1f} MB, "
                f"received {uploaded.size / (1024 * 1024):.1f} MB"
            )
        cache_key, label = f"upload:{uploaded.file_id}:{uploaded.size}", name

        def loader() -> Any:
            from bilstm_lab.models.model_io import load_model_bytes

            return load_model_bytes(uploaded.getvalue(), name)

    loaded = st.session_state.get("convert_loaded")
    if loaded is None or loaded.key != cache_key:
        st.session_state.pop("convert_loaded", None)
        with st.spinner("Loading the model…"):
            loaded = LoadedModel(cache_key, label, loader())
        st.session_state["convert_loaded"] = loaded
    return loaded


def _convert(loaded: LoadedModel) -> ConvertedModel | None:
    """Read the conversion options and convert (once per session and set of options)."""
    from bilstm_lab.core.spec import MergeMode
    from bilstm_lab.models.convert import bidirectional_layer_names, recurrent_layer_names

    model = loaded.model
    plain, wrapped = recurrent_layer_names(model), bidirectional_layer_names(model)
    directions = ([TO_BI] if plain else []) + ([TO_UNI] if wrapped else [])
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
        st.info("Choose at least one layer to convert.")
        return None
    key = (loaded.key, direction, tuple(layers), merge, warm)
    result = st.session_state.get("convert_result")
    if result is not None and result.key == key:
        return result
    st.session_state.pop("convert_result", None)
    with st.spinner("Converting, saving and re-loading the model…"):
        result = _run_conversion(model, key, direction, layers, merge, warm)
    st.session_state["convert_result"] = result
    return result


def _run_conversion(
    model: Any, key: tuple[Any, ...], direction: str, layers: list[str], merge: str, warm: bool
) -> ConvertedModel:
    from bilstm_lab.models.convert import to_bidirectional, unwrap_bidirectional
    from bilstm_lab.models.model_io import load_model_bytes, model_to_bytes

    if direction == TO_BI:
        conversion = to_bidirectional(model, layers, merge_mode=merge, warm_start=warm, seed=0)
    else:
        conversion = unwrap_bidirectional(model, layers, seed=0)
    data = model_to_bytes(conversion.model)
    # Prove the download works: load it back the way an upload is loaded, and predict.
    reloaded = load_model_bytes(data, "the converted model")
    # A free (None) time or feature axis gets a small concrete size for the check batch.
    batch = [
        np.zeros((2, *(4 if dim is None else dim for dim in tensor.shape[1:])), dtype=tensor.dtype)
        for tensor in reloaded.inputs
    ]
    outputs = reloaded.predict(batch[0] if len(batch) == 1 else batch, verbose=0)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    shapes = ", ".join(str(tuple(o.shape)) for o in outputs)
    check = (
        f"Saved ({len(data) / 1024:,.0f} KB), loaded back with safe_mode=True, and predicted a "
        f"batch of {batch[0].shape} → {shapes}."
    )
    return ConvertedModel(key, conversion, data, check)


def _layer_table(model: Any) -> pd.DataFrame:
    from bilstm_lab.models.model_io import inspect_rows

    frame = pd.DataFrame(inspect_rows(model))
    frame["params"] = frame["params"].map(fmt)
    return frame


def render() -> None:
    """Draw the whole Convert page."""
    st.title("Convert a model: LSTM → BiLSTM")
    st.caption(
        "Wrap the recurrent layers of a real Keras model in `Bidirectional`. Layers whose weight "
        "shapes do not change keep their weights; the forward direction can start from the "
        "original layer; layers whose input widened are freshly initialised and listed."
    )
    source = st.radio(
        "Model", [SOURCE_EXAMPLE, SOURCE_UPLOAD], horizontal=True, key="convert_source"
    )
    try:
        loaded = _load(source)
        if loaded is None:
            return
        result = _convert(loaded)
    except ValueError as error:  # ModelFileError, ConversionError, SpecError: all say why
        show_input_error(ValueError(plain_text(str(error))))
        return
    except Exception as error:
        show_input_error(ValueError(f"the model could not be processed: {type(error).__name__}"))
        return
    if result is None:
        return
    _show_result(loaded, result)


def _show_result(loaded: LoadedModel, result: ConvertedModel) -> None:
    report = result.conversion.report
    before, after = loaded.model, result.conversion.model
    a, b, c = st.columns(3)
    a.metric("Parameters before", fmt(report.params_before))
    b.metric(
        "Parameters after",
        fmt(report.params_after),
        delta=f"{report.params_after / report.params_before:.2f}×",
        delta_color="off",
    )
    c.metric("Layers to retrain", str(len(report.fresh_layers)))
    if report.fresh_layers:
        st.warning(
            "Freshly initialised — retrain these: "
            + ", ".join(f"`{n.replace('`', '')}`" for n in report.fresh_layers)
        )

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
    changed = {row.after for row in report.rows if row.type_before != row.type_after}
    left, right = st.columns(2)
    with left:
        st.subheader("Before")
        st.graphviz_chart(model_dot(before))
        st.dataframe(_layer_table(before), hide_index=True, width="stretch")
    with right:
        st.subheader("After")
        st.graphviz_chart(model_dot(after, highlight=changed, fresh=set(report.fresh_layers)))
        st.caption("green: converted · orange: freshly initialised")
        st.dataframe(_layer_table(after), hide_index=True, width="stretch")

    st.success("✓ " + result.check)
    suffix = "_bidirectional" if result.key[1] == TO_BI else "_unwrapped"
    base = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in before.name)[:60] or "model"
    st.download_button(
        "Download the converted .keras",
        icon=":material/download:",
        data=result.data,
        file_name=f"{base}{suffix}.keras",
        mime="application/octet-stream",
        key="convert_download",
        type="primary",
    )
