"""The Architecture Explorer: LSTM and BiLSTM side by side, from one spec.

The page paints from the pure-Python engine (`core`, `render`) alone; the "Verify with real
Keras" check runs as a job in a worker process, so this process never imports TensorFlow. Widget
state, the spec and the URL's query parameters are kept in step: the URL is read once per
visit, and rewritten after every valid change so that a copied link reopens the same view.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import Comparison, VariantAnalysis, compare
from bilstm_lab.core.errors import TooLargeToVerify, check_number
from bilstm_lab.core.formatting import breakable, fmt, format_shape
from bilstm_lab.core.presets import PRESETS, PRESETS_BY_KEY, Preset
from bilstm_lab.core.spec import (
    ACTIVATIONS,
    LIMITS,
    Cell,
    DenseHead,
    FeatureInput,
    InputSpec,
    MergeMode,
    ModelSpec,
    SpecError,
    TokenInput,
    from_json,
    from_query,
)
from bilstm_lab.core.verification import Verification
from bilstm_lab.render.breakdown import GATE_NAMES, PARTS, parameter_breakdown
from bilstm_lab.ui import display, downloads, quiz, spec_cache, step_through
from bilstm_lab.ui.pool import worker_pool
from bilstm_lab.workers.errors import WorkerLost

#: Every widget key starts with this, so the Explorer's state never collides with other pages'.
PREFIX = "ex_"
CUSTOM = "custom"
MAX_LAYERS = LIMITS["layers"][1]

#: Column names of the per-layer tables (tests read the tables by these).
TABLE_COLUMNS = ("layer", "type", "output shape", "params", "formula")


def _key(name: str) -> str:
    return PREFIX + name


# ------------------------------------------------------------------ spec <-> widget state


def state_from_spec(spec: ModelSpec) -> dict[str, Any]:
    """The widget values (keyed by widget key) that describe ``spec``.

    Fields the spec does not use (e.g. the vocabulary of a float-feature model) keep the
    defaults of their dataclass, so switching input kind shows sensible values.
    """
    features = spec.input if isinstance(spec.input, FeatureInput) else FeatureInput()
    tokens = spec.input if isinstance(spec.input, TokenInput) else TokenInput()
    head = spec.head or DenseHead()
    values: dict[str, Any] = {
        "cell": spec.cell.value,
        "layers": spec.depth,
        "return_sequences": spec.return_sequences,
        "merge_mode": spec.merge_mode.value,
        "return_state": spec.return_state,
        "use_bias": spec.use_bias,
        "reset_after": spec.reset_after,
        "input": spec.input.kind,
        "variable_length": spec.input.seq_len is None,
        # A variable length keeps its input kind's default T for the box, should it come back.
        "seq_len": spec.input.seq_len or type(spec.input)().seq_len,
        "features": features.features,
        "vocab": tokens.vocab,
        "embedding_dim": tokens.embedding_dim,
        "fixed_batch": spec.batch_size is not None,
        "batch": spec.batch_size or 32,
        "head": spec.head is not None,
        "dense": head.units,
        "dense_activation": head.activation,
    }
    for index in range(MAX_LAYERS):
        values[f"units_{index}"] = spec.units[min(index, spec.depth - 1)]
    return {_key(name): value for name, value in values.items()}


def spec_from_state(state: Any) -> ModelSpec:
    """Build the spec the widgets describe.

    Args:
        state: ``st.session_state`` (or any mapping keyed like `state_from_spec`).

    Returns:
        The validated spec.

    Raises:
        SpecError: naming the field (``units``, ``merge_mode``, ...) that cannot work.
    """

    def get(name: str) -> Any:
        return state[_key(name)]

    def number(name: str) -> int:
        return read_number(state, name)

    depth = number("layers")
    units = tuple(number(f"units_{index}") for index in range(depth))
    # Hidden controls are not read: T while the length is variable, reset_after off a GRU.
    seq_len = None if get("variable_length") else number("seq_len")
    input_spec: InputSpec
    if get("input") == "tokens":
        input_spec = TokenInput(seq_len, number("vocab"), number("embedding_dim"))
    else:
        input_spec = FeatureInput(seq_len, number("features"))
    head = DenseHead(number("dense"), get("dense_activation")) if get("head") else None
    return ModelSpec(
        cell=get("cell"),
        units=units,
        return_sequences=bool(get("return_sequences")),
        merge_mode=get("merge_mode"),
        return_state=bool(get("return_state")),
        use_bias=bool(get("use_bias")),
        reset_after=bool(get("reset_after")) if _shows_reset_after(state) else True,
        input=input_spec,
        head=head,
        batch_size=number("batch") if get("fixed_batch") else None,
    )


def _shows_reset_after(state: Any) -> bool:
    """Whether the reset_after control applies (and is drawn): for a GRU only."""
    return Cell(state[_key("cell")]).has_reset_after


def _load_spec(spec: ModelSpec) -> None:
    for key, value in state_from_spec(spec).items():
        st.session_state[key] = value


def _on_preset() -> None:
    # A callback runs before the script, the only moment widget values may be overwritten.
    # Validated before the lookup: a hand-made message can carry any value (issue 15).
    key = st.session_state.get(_key("preset"))
    if not isinstance(key, str) or key not in PRESETS_BY_KEY:
        st.session_state[_key("preset")] = CUSTOM
        return
    _load_spec(PRESETS_BY_KEY[key].spec)
    st.session_state[_key("url_warnings")] = []


def _on_control() -> None:
    # Keep the preset box honest: it names a preset only while the controls match it.
    try:
        spec = spec_from_state(st.session_state)
    except (SpecError, KeyError):
        st.session_state[_key("preset")] = CUSTOM
        return
    st.session_state[_key("preset")] = matching_preset(spec) or CUSTOM


def _on_layers() -> None:
    # A new layer starts with the units of the layer below it, not a stale value.
    state = st.session_state
    depth = _valid_depth(state)
    if depth is not None:  # a bad depth draws no new boxes: its error shows under the box
        for index in range(int(state.get(_key("shown_layers"), depth)), depth):
            state[_key(f"units_{index}")] = state[_key(f"units_{index - 1}")]
    _on_control()


def _init_from_url() -> None:
    """On a fresh visit (or back from another page), read the spec from the URL."""
    if _key("cell") in st.session_state:
        return
    params = {
        key: st.query_params.get_all(key)
        for key in st.query_params
        if key not in display.DISPLAY_FLAGS
    }
    last_shown = st.session_state.get(_key("url_spec"))
    if not params and last_shown:
        # Back from another page (whose URL has no spec): Streamlit dropped the widgets'
        # state, but the session remembers the last model it showed.
        spec, warnings = from_json(last_shown), list[str]()
    else:
        spec, warnings = from_query(params)
    _load_spec(spec)
    st.session_state[_key("url_warnings")] = warnings
    st.session_state[_key("preset")] = matching_preset(spec) or CUSTOM


def _keep_defaults(spec: ModelSpec) -> None:
    # Streamlit forgets the state of widgets that were not drawn in the last run (a units box
    # of a layer that did not exist, the vocabulary of a float model); refill them.
    for key, value in state_from_spec(spec).items():
        if key not in st.session_state:
            st.session_state[key] = value


def matching_preset(spec: ModelSpec) -> str | None:
    """The key of the preset whose spec is exactly ``spec``, if any."""
    return next((preset.key for preset in PRESETS if preset.spec == spec), None)


# ------------------------------------------------------------------ controls


#: The sidebar's number boxes (besides one units box per layer): name -> (label, `LIMITS` key).
NUMBER_BOXES: dict[str, tuple[str, str]] = {
    "layers": ("Stacking depth (recurrent layers)", "layers"),
    "seq_len": ("Sequence length T", "seq_len"),
    "vocab": ("Vocabulary", "vocab"),
    "embedding_dim": ("Embedding size", "embedding_dim"),
    "features": ("Features per step", "features"),
    "batch": ("Batch size", "batch"),
    "dense": ("Dense units", "dense"),
}


def _box(name: str) -> tuple[str, str, str]:
    """A number box's label, its `LIMITS` key, and the field its errors name (its slot)."""
    if name.startswith("units_"):
        return f"units, layer {int(name.removeprefix('units_')) + 1}", "units", "units"
    label, limit = NUMBER_BOXES[name]
    return label, limit, name


def read_number(state: Any, name: str) -> int:
    """The value of number box ``name``, checked against its range.

    Raises:
        SpecError: naming the box's field, with a message that names the box and its range.
    """
    label, limit, field_name = _box(name)
    low, high = LIMITS[limit]
    value = state[_key(name)]
    try:
        return int(check_number(label, value, low, high, error=SpecError))
    except SpecError:
        raise SpecError(field_name, explain.out_of_range(label, value, low, high)) from None


def _valid_depth(state: Any) -> int | None:
    """The stacking depth the layers box holds, or ``None`` while it holds a bad value."""
    try:
        return read_number(state, "layers")
    except SpecError:
        return None


def _number(name: str, drawn: list[str], on_change: Any = None) -> None:
    """A number box with its range in its help. It has no min/max: the browser would drop an
    out-of-range value silently; the server checks it (`read_number`) and says what is wrong."""
    label, limit, _ = _box(name)
    low, high = LIMITS[limit]
    st.number_input(
        label,
        step=1,
        key=_key(name),
        help=explain.range_help(low, high),
        on_change=on_change or _on_control,
    )
    drawn.append(name)


def render_controls() -> tuple[ModelSpec | None, SpecError | None]:
    """Draw the sidebar controls and build the spec they describe.

    Returns:
        The spec (``None`` when the combination cannot work) and the error explaining why;
        the error is already shown next to the control that causes it.
    """
    _init_from_url()
    _keep_defaults(matching_spec_or_default())
    slots: dict[str, Any] = {}
    with st.sidebar:
        drawn = _draw_controls(slots)
    # Every box holding a bad value says so, not just the first one the spec would read.
    errors = [error for name in drawn if (error := _number_error(name)) is not None]
    if errors:
        _show_number_errors(errors, slots)
        return None, errors[0]
    try:
        spec = spec_from_state(st.session_state)
    except SpecError as error:
        _show_error(error, slots)
        return None, error
    return spec, None


def _number_error(name: str) -> SpecError | None:
    try:
        read_number(st.session_state, name)
    except SpecError as error:
        return error
    return None


def _draw_controls(slots: dict[str, Any]) -> list[str]:
    """The widgets, top to bottom; ``slots`` gets an empty placeholder under each group.

    Returns:
        The names of the number boxes drawn (the hidden ones are not read).
    """
    drawn: list[str] = []
    st.selectbox(
        "Preset",
        [CUSTOM, *PRESETS_BY_KEY],
        key=_key("preset"),
        on_change=_on_preset,
        format_func=lambda key: (
            "— your own settings —" if key == CUSTOM else f"{PRESETS_BY_KEY[key].title}"
        ),
        help="Every example model of two articles on turning an LSTM into a BiLSTM, and a few "
        "teaching models. Choosing one sets every control.",
    )
    st.segmented_control(
        "Cell",
        [cell.value for cell in Cell],
        key=_key("cell"),
        on_change=_on_control,
        required=True,
        format_func=lambda value: Cell(value).keras_name,
    )
    slots["cell"] = st.empty()
    _draw_cell_options(slots)
    _number("layers", drawn, on_change=_on_layers)
    slots["layers"] = st.empty()
    depth = _valid_depth(st.session_state)
    if depth is None:  # a bad depth: keep the units boxes of the last good one
        depth = int(st.session_state.get(_key("shown_layers"), 1))
    st.session_state[_key("shown_layers")] = depth
    columns = st.columns(min(depth, 3))
    for index in range(depth):
        with columns[index % len(columns)]:
            _number(f"units_{index}", drawn)
    slots["units"] = st.empty()
    st.toggle(
        "Last layer returns sequences" if depth > 1 else "Return sequences",
        key=_key("return_sequences"),
        on_change=_on_control,
        help="On: one output per time step (batch, T, width). Off: one vector per sequence.",
    )
    if depth > 1:
        lower = "Layer 1 always returns" if depth == 2 else f"Layers 1–{depth - 1} always return"
        st.caption(
            f"{lower} sequences: the layer above is a recurrent layer and needs a time axis, "
            "(batch, T, width), to read."
        )
    slots["return_sequences"] = st.empty()
    bidirectional = Cell(st.session_state[_key("cell")]).variant_name(bidirectional=True)
    st.segmented_control(
        f"Merge mode ({bidirectional})",
        [mode.value for mode in MergeMode],
        key=_key("merge_mode"),
        on_change=_on_control,
        required=True,
        format_func=lambda value: "None" if value == "none" else value,
        help="How Bidirectional combines the forward and backward outputs. concat doubles the "
        "width; sum, mul and ave keep it; None returns the two tensors separately.",
    )
    slots["merge_mode"] = st.empty()
    st.toggle("Return state (last layer)", key=_key("return_state"), on_change=_on_control)
    slots["return_state"] = st.empty()
    st.segmented_control(
        "Input",
        ["features", "tokens"],
        key=_key("input"),
        on_change=_on_control,
        required=True,
        format_func=lambda value: "float features" if value == "features" else "token ids",
    )
    slots["input"] = st.empty()
    st.toggle(
        "Variable length (T = None)",
        key=_key("variable_length"),
        on_change=_on_control,
        help="On: the model takes sequences of any length, keras.Input(shape=(None, d)); "
        "the time axis of every shape reads None.",
    )
    if not st.session_state[_key("variable_length")]:
        _number("seq_len", drawn)
    slots["seq_len"] = st.empty()
    if st.session_state[_key("input")] == "tokens":
        left, right = st.columns(2)
        with left:
            _number("vocab", drawn)
        with right:
            _number("embedding_dim", drawn)
        slots["vocab"] = slots["embedding_dim"] = st.empty()
    else:
        _number("features", drawn)
        slots["features"] = st.empty()
    st.toggle(
        "Fixed batch size",
        key=_key("fixed_batch"),
        help="Off: batch is None (any batch size).",
        on_change=_on_control,
    )
    if st.session_state[_key("fixed_batch")]:
        _number("batch", drawn)
    slots["batch"] = st.empty()
    st.toggle("Dense head", key=_key("head"), on_change=_on_control)
    if st.session_state[_key("head")]:
        left, right = st.columns(2)
        with left:
            _number("dense", drawn)
        with right:
            st.selectbox(
                "Activation", ACTIVATIONS, key=_key("dense_activation"), on_change=_on_control
            )
    slots["dense"] = slots["dense_activation"] = st.empty()
    return drawn


def _draw_cell_options(slots: dict[str, Any]) -> None:
    """The cell's own options: use_bias for every cell, reset_after for a GRU only."""
    st.toggle(
        "Use bias",
        key=_key("use_bias"),
        on_change=_on_control,
        help="Off: use_bias=False, no bias vectors in any recurrent cell (PyTorch: bias=False).",
    )
    slots["use_bias"] = st.empty()
    if _shows_reset_after(st.session_state):
        st.toggle(
            "reset_after (GRU)",
            key=_key("reset_after"),
            on_change=_on_control,
            help="On (Keras's default): the reset gate is applied after the recurrent kernel, "
            "with two bias vectors, as PyTorch's GRU does. Off: before it, with one bias "
            "vector; PyTorch has no such layer.",
        )
    slots["reset_after"] = st.empty()


def matching_spec_or_default() -> ModelSpec:
    """The spec to refill forgotten widget values from: the preset's, else the default."""
    key = st.session_state.get(_key("preset"), CUSTOM)
    return PRESETS_BY_KEY[key].spec if key in PRESETS_BY_KEY else ModelSpec()


def _show_error(error: SpecError, slots: dict[str, Any]) -> None:
    slot = slots.get(error.field, slots["cell"])
    slot.error(f"{error}.", icon=":material/error:")
    # A combination error names one field; point at the other control that takes part.
    if error.field == "merge_mode":
        if st.session_state[_key("head")]:
            slots["dense"].warning(
                "A Dense layer takes one tensor; merge mode None returns two (see merge mode).",
                icon=":material/warning:",
            )
        if (_valid_depth(st.session_state) or 1) > 1:
            slots["layers"].warning(
                "Stacking needs one tensor between layers; merge mode None returns two "
                "(see merge mode).",
                icon=":material/warning:",
            )


def _show_number_errors(errors: list[SpecError], slots: dict[str, Any]) -> None:
    """Each bad number under its box (boxes sharing a slot, like the units, share a message)."""
    messages: dict[int, tuple[Any, list[str]]] = {}
    for error in errors:
        slot = slots.get(error.field, slots["cell"])
        messages.setdefault(id(slot), (slot, []))[1].append(f"{error}.")
    for slot, texts in messages.values():
        slot.error("\n\n".join(texts), icon=":material/error:")


# ------------------------------------------------------------------ tables and numbers


def variant_table(variant: VariantAnalysis) -> pd.DataFrame:
    """One variant's layers as displayed: every number is the analysis's, formatted.

    Types get soft breaks (`breakable`) so two tables side by side fit a projector without
    clipping a column.
    """
    rows = [
        (
            row.name,
            breakable(row.type),
            format_shape(row.output_shapes),
            fmt(row.params),
            row.formula,
        )
        for row in variant.layers
    ]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def comparison_csv(comparison: Comparison) -> str:
    """Both variants' layers as CSV (raw integers), for the download button.

    A layer PyTorch has no equivalent for (GRU ``reset_after=False``) has empty PyTorch cells.
    """
    records = [
        {
            "variant": variant.label,
            "layer": row.name,
            "type": row.type,
            "output_shape": format_shape(row.output_shapes),
            "params": row.params,
            "formula": row.formula,
            "torch_params": row.torch_params,
            "torch_formula": row.torch_formula,
        }
        for variant in (comparison.uni, comparison.bi)
        for row in variant.layers
    ]
    # Int64 keeps the counts whole next to a missing one (plain int64 would turn them to floats).
    frame = pd.DataFrame.from_records(records).astype({"torch_params": "Int64"})
    return frame.to_csv(index=False)


def render_numbers(comparison: Comparison) -> None:
    """Totals, ratios, the reasons, and the two per-layer tables side by side."""
    uni, bi = comparison.uni, comparison.bi
    st.markdown(explain.parameter_headline(comparison))
    cols = st.columns(4)
    cols[0].metric(f"{uni.label} total (Keras)", fmt(uni.total_params))
    cols[1].metric(f"{bi.label} total (Keras)", fmt(bi.total_params))
    cols[2].metric("Whole model ratio", f"{comparison.total_ratio:.2f}×")
    cols[3].metric("Recurrent layers ratio", f"{comparison.recurrent_ratio:.2f}×")
    reasons = explain.growth_reasons(comparison)
    same = [
        f"- **{u.name}**: {fmt(u.params)} in both — it does not depend on the direction."
        for u, b in zip(uni.layers, bi.layers, strict=True)
        if u.params == b.params
    ]
    st.markdown("**Why:**\n" + "\n".join(reasons + same))
    left, right = st.columns(2)
    tables = _layer_tables(comparison.spec)
    for column, variant, table in zip((left, right), (uni, bi), tables, strict=True):
        with column:
            st.subheader(variant.label)
            st.table(table, hide_index=True)
            st.markdown(
                f"Total (Keras `count_params()`): **{fmt(variant.total_params)}** · "
                f"PyTorch equivalent: **{explain.torch_count(variant.torch_params)}**"
            )
    st.caption(f"Keras vs PyTorch: {explain.torch_difference(comparison.spec)}")


# The tables as Arrow tables, built once per model: immutable, so every session may share them,
# and st.table sends one as it is, where it converts a DataFrame on every rerun. An Arrow
# table has no index.


@spec_cache.per_spec
def _layer_tables(spec: ModelSpec) -> tuple[pa.Table, pa.Table]:
    comparison = compare(spec)
    uni, bi = (
        pa.Table.from_pandas(variant_table(variant), preserve_index=False)
        for variant in (comparison.uni, comparison.bi)
    )
    return uni, bi


@spec_cache.per_spec
def _gate_table(spec: ModelSpec) -> pa.Table:
    return pa.Table.from_pandas(breakdown_table(compare(spec).bi), preserve_index=False)


@spec_cache.per_spec
def _spec_csv(spec: ModelSpec) -> str:
    return comparison_csv(compare(spec))


@st.cache_data(max_entries=256, show_spinner=False)
def _verify(spec_json: str) -> tuple[bool | None, str, list[str]]:
    # A pure result keyed on the spec: safe to share. The models are built in a worker process
    # and never reach this one.
    try:
        verification: Verification = worker_pool().submit("verify", spec_json).wait()
    except TooLargeToVerify as error:
        return None, str(error), []
    return verification.ok, verification.summary(), [str(m) for m in verification.mismatches]


def render_verify(spec: ModelSpec, comparison: Comparison) -> None:
    """The "Verified with Keras" button and its result, plus the CSV download."""
    results: dict[str, Any] = st.session_state.setdefault(_key("verified"), {})
    key = spec.to_json()
    left, right = st.columns([1, 1])
    with right:
        st.download_button(
            "Download the table (CSV)",
            partial(_spec_csv, spec),  # written when clicked, not on every rerun
            file_name="bilstm_lab_comparison.csv",
            mime="text/csv",
            key=_key("csv"),
            # No rerun on click: a rerun could replace the deferred file before it is fetched.
            on_click="ignore",
        )
    with left:
        if key not in results and st.button(
            "Verify with real Keras",
            key=_key("verify"),
            help="Builds both models with Keras (and PyTorch) and compares every number shown.",
        ):
            with st.spinner("Building the real models…"):
                try:
                    results[key] = _verify(key)
                except WorkerLost:
                    st.error(
                        explain.JOB_INTERRUPTED.format(what="The check"), icon=":material/error:"
                    )
        if key in results:
            ok, summary, mismatches = results[key]
            if ok is None:
                st.info(f"Not verified: {summary}. The numbers come from the analysis alone.")
            elif ok:
                st.success(f"{summary[0].upper()}{summary[1:]}.", icon=":material/verified:")
            else:
                st.error(
                    f"{summary}:\n\n" + "\n".join(f"- {m}" for m in mismatches),
                    icon=":material/error:",
                )


# ------------------------------------------------------------------ diagrams and code


def _block_text(shape: tuple[int, ...], count: int) -> str:
    """``128×64 = 8,192`` for a matrix; just ``64`` for a vector."""
    return fmt(count) if len(shape) == 1 else f"{'×'.join(map(str, shape))} = {fmt(count)}"


def breakdown_table(variant: VariantAnalysis) -> pd.DataFrame:
    """Gate × part counts of each recurrent layer's forward direction (the backward is equal)."""
    rows = [
        {
            "layer": block.layer,
            "gate": block.gate,
            "part": block.part,
            "weights": _block_text(block.shape, block.count),
        }
        for block in parameter_breakdown(variant)
        if block.direction == "forward"
    ]
    table = pd.DataFrame(rows).pivot_table(
        index=["layer", "gate"], columns="part", values="weights", aggfunc="first", sort=False
    )
    # No bias column for use_bias=False: only the parts the layers have.
    return table[[part for part in PARTS if part in table.columns]].reset_index()


#: The diagram tabs, in order (the browser tests click them by these labels).
DIAGRAM_TABS = ("Layer stack", "Unrolled in time", "Where the parameters go")


def render_diagrams(spec: ModelSpec, comparison: Comparison) -> None:
    """Tabs: layer stack (DOT), unrolled in time (plotly), where the parameters go.

    Only the open tab's view is built: the tabs keep which one is open and opening another
    reruns the page. Building the hidden diagrams was most of a rerun's time (issue 14).
    """
    views = (render_stack, render_unrolled, render_where)
    tabs = st.tabs(list(DIAGRAM_TABS), key=_key("diagram_tab"), on_change="rerun")
    for tab, view in zip(tabs, views, strict=True):
        if tab.open is not False:  # None: the tabs track nothing, so every view is built
            with tab:
                view(spec, comparison)


def render_stack(spec: ModelSpec, comparison: Comparison) -> None:
    """Both variants' layer stacks side by side (Graphviz)."""
    st.caption(explain.stack_caption(comparison.uni.label, comparison.bi.label))
    st.graphviz_chart(spec_cache.stack_dot(spec, display.text_scale()), width="content")
    downloads.stack_downloads(comparison)  # SVG, PNG, LaTeX: drawn only when clicked


#: Session key: the variant the unrolled view last showed (its control's own state is dropped
#: while the tab is closed, since the control is not drawn then).
UNROLLED_SHOWN = _key("unrolled_shown")


def render_unrolled(spec: ModelSpec, comparison: Comparison) -> None:
    """The model unrolled over time steps, one variant at a time (plotly)."""
    variant = _key("unrolled_variant")
    if variant not in st.session_state:
        st.session_state[variant] = st.session_state.get(UNROLLED_SHOWN, "bi")
    choice = st.segmented_control(
        "Variant",
        ["bi", "uni"],
        key=variant,
        required=True,
        format_func=lambda value: comparison.bi.label if value == "bi" else comparison.uni.label,
        label_visibility="collapsed",
    )
    st.session_state[UNROLLED_SHOWN] = choice
    bidirectional = choice != "uni"
    st.markdown(spec_cache.unrolled_note(spec, bidirectional))  # text beside the figure: it wraps
    # Already at the presenter scale, so st.plotly_chart and not display.plotly_chart.
    st.plotly_chart(
        spec_cache.unrolled_chart(spec, bidirectional, display.text_scale()),
        key=_key("unrolled_chart"),
        config={"displayModeBar": False},
    )
    downloads.unrolled_downloads(spec, bidirectional)  # SVG, PNG: drawn only when clicked
    step_through.render(spec, bidirectional)  # the two passes animated; PyTorch's h_n


def render_where(spec: ModelSpec, comparison: Comparison) -> None:
    """Where the parameters go: a chart of both variants and the per-gate table."""
    st.markdown(explain.weight_blocks(spec, GATE_NAMES[spec.cell]))
    # Already at the presenter scale, so st.plotly_chart and not display.plotly_chart.
    st.plotly_chart(
        spec_cache.breakdown_chart(spec, display.text_scale()),
        key=_key("breakdown_chart"),
        config=downloads.breakdown_config(comparison),  # camera: PNG 1920×1080
    )
    st.markdown(f"**{comparison.bi.label}, one direction** (the other direction is identical):")
    st.table(_gate_table(spec), hide_index=True)


def render_code(spec: ModelSpec, preset: Preset | None) -> None:
    """Keras code for both variants, the diff, and the PyTorch equivalent; copy and download."""
    st.subheader("Code")
    label, bi_label = spec.cell.variant_name(False), spec.cell.variant_name(True)
    # Only the open tab's code is drawn (as with the diagrams): the tabs keep which one is open.
    uni_tab, bi_tab, diff_tab, torch_tab = st.tabs(
        [f"Keras {label}", f"Keras {bi_label}", f"What changes ({label} → {bi_label})", "PyTorch"],
        key=_key("code_tab"),
        on_change="rerun",
    )
    uni_code, bi_code, diff, torch = spec_cache.code_sources(spec)
    files = [
        (uni_tab, uni_code, f"{label.lower()}_keras.py", "python"),
        (bi_tab, bi_code, f"{bi_label.lower()}_keras.py", "python"),
        (diff_tab, diff, f"{label.lower()}_to_{bi_label.lower()}.diff", "diff"),
    ]
    if torch is not None:
        files.append((torch_tab, torch, f"{bi_label.lower()}_torch.py", "python"))
    elif torch_tab.open is not False:
        torch_tab.info(explain.torch_difference(spec), icon=":material/info:")
    for tab, source, file_name, language in files:
        if tab.open is False:
            continue
        with tab:
            st.code(source, language=language, wrap_lines=True)  # no sideways scroll
            st.download_button(
                f"Download {file_name}",
                partial(str, source),  # sent when clicked, not stored on every rerun
                file_name=file_name,
                mime="text/plain",
                key=_key(f"download_{file_name}"),
                on_click="ignore",  # as the CSV: the deferred file must outlive the click
            )
    if preset is not None and preset.article_code:
        with st.expander(f"The original code, {preset.source}"):
            if preset.assumptions:
                st.caption(f"Values the article leaves undefined: {preset.assumptions}")
            st.code(preset.article_code, language="python")


# ------------------------------------------------------------------ the page


def _sync_url(spec: ModelSpec) -> None:
    query = spec.to_query()
    # The display flags (?present=1, ?lock=1) stay in the URL.
    flags = [key for key in display.DISPLAY_FLAGS if key in st.query_params]
    query.update({key: st.query_params[key] for key in flags})
    current = {key: st.query_params.get(key) for key in st.query_params}
    if current != query:
        st.query_params.from_dict(query)


def render_page() -> None:
    """The whole Explorer page (the page script only sets up and calls this)."""
    st.title("Architecture Explorer")
    st.markdown(explain.EXPLORER_LOCKED_INTRO if display.locked() else explain.EXPLORER_INTRO)
    quizzing = quiz.render_toggle()
    spec, error = render_controls()
    if spec is not None and st.session_state.get(_key("url_spec")) not in (None, spec.to_json()):
        st.session_state[_key("url_warnings")] = []  # the user has moved on from the bad link
    warnings = st.session_state.get(_key("url_warnings"), [])
    if warnings:
        st.warning(
            "This link had settings the lab cannot use, so they fell back to defaults:\n\n"
            + "\n".join(f"- {warning}" for warning in warnings)
        )
    if spec is None or error is not None:
        st.error(
            f"This combination cannot work, so nothing is drawn: {error}. "
            "Change the control with the red message under it, in the sidebar."
        )
        return
    st.session_state[_key("url_spec")] = spec.to_json()
    _sync_url(spec)
    preset_key = matching_preset(spec)
    preset = PRESETS_BY_KEY[preset_key] if preset_key else None
    st.caption(explain.describe(spec))
    if preset is not None and not quizzing:  # its title and note tell the answers
        st.info(f"{preset.heading(markdown=True)}.\n\n{preset.note}")
    comparison = compare(spec)
    if quizzing:  # the numbers, diagrams and code would give the answers away
        quiz.render_quiz(comparison)
        return
    render_numbers(comparison)
    render_verify(spec, comparison)
    render_diagrams(spec, comparison)
    render_code(spec, preset)
