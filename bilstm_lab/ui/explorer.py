"""The Architecture Explorer: LSTM and BiLSTM side by side, from one spec.

The page paints from the pure-Python engine (`core`, `render`) alone; the "Verify with real
Keras" check runs as a job in a worker process, so this process never imports TensorFlow. Widget
state, the spec and the URL's query parameters are kept in step: the URL is read once per
visit, and rewritten after every valid change so that a copied link reopens the same view.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial
from types import MappingProxyType
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
    _fill(spec, overwrite=True)


def _on_preset() -> None:
    # A callback runs before the script, the only moment widget values may be overwritten.
    # Validated before the lookup: a hand-made message can carry any value (issue 15).
    key = st.session_state.get(_key("preset"))
    if not isinstance(key, str) or key not in PRESETS_BY_KEY:
        st.session_state[_key("preset")] = CUSTOM
        return
    _load_spec(PRESETS_BY_KEY[key].spec)
    st.session_state[_key("url_warnings")] = []


def _on_layers() -> None:
    # A new layer starts with the units of the layer below it, not a stale value.
    state = st.session_state
    depth = _valid_depth(state)
    if depth is not None:  # a bad depth draws no new boxes: its error shows under the box
        for index in range(int(state.get(_key("shown_layers"), depth)), depth):
            state[_key(f"units_{index}")] = state[_key(f"units_{index - 1}")]


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


#: The controls every run reads, whatever the others say; the rest are read only when drawn.
ALWAYS_READ = (
    "cell", "layers", "return_sequences", "merge_mode", "return_state", "use_bias", "input",
    "variable_length", "fixed_batch", "head",
)  # fmt: skip


def _keep_defaults() -> None:
    # Streamlit forgets the state of widgets that were not drawn in the last run (a units box
    # of a layer that did not exist, the vocabulary of a float model; "More options" keeps
    # its own, `persist_state`); refill them with the values of the model last shown: a box
    # that comes back shows what that model had (a hidden vocabulary: the default one).
    _fill(_refill_spec(), overwrite=False)


def _fill(spec: ModelSpec, *, overwrite: bool) -> None:
    """Write ``spec``'s values for the controls this run reads (all of them when
    ``overwrite``, else only the missing ones).

    Only what is read: every key in the session makes each number box's rerun cost more
    (Streamlit walks the whole state per box), and a value for a control not drawn would
    linger.
    """
    values = state_from_spec(spec)
    state = st.session_state

    def put(name: str) -> None:
        if overwrite or _key(name) not in state:
            state[_key(name)] = values[_key(name)]

    for name in ALWAYS_READ:  # first: which others are read depends on these
        put(name)
    read = drawn_boxes(state)
    if _shows_reset_after(state):
        read.append("reset_after")
    if state[_key("head")]:
        read.append("dense_activation")
    if overwrite:  # kept while hidden (persist_state): a new model sets them all
        read += [name for name in MORE_CONTROLS if name not in read]
    for name in read:
        put(name)


def _refill_spec() -> ModelSpec:
    """The spec to refill forgotten widget values from: the last one shown, else the
    preset's, else the default."""
    last_shown = st.session_state.get(_key("url_spec"))
    if last_shown:
        return _parsed(last_shown)
    key = st.session_state.get(_key("preset"), CUSTOM)
    return PRESETS_BY_KEY[key].spec if key in PRESETS_BY_KEY else ModelSpec()


@lru_cache(maxsize=256)
def _parsed(spec_json: str) -> ModelSpec:
    # The lab's own JSON of a valid spec (never a visitor's text), parsed once: a spec is
    # immutable, so every session may share it.
    return from_json(spec_json)


@lru_cache(maxsize=256)
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


def _number(name: str, on_change: Any = None, persist_state: Any = None) -> None:
    """A number box with its range in its help. It has no min/max: the browser would drop an
    out-of-range value silently; the server checks it (`read_number`) and says what is wrong."""
    label, limit, _ = _box(name)
    low, high = LIMITS[limit]
    st.number_input(
        label,
        step=1,
        key=_key(name),
        help=explain.range_help(low, high),
        on_change=on_change,
        persist_state=persist_state,
    )


#: Where each field's messages show: the number boxes that share a row share one message
#: spot; a field without a control of its own (a combination) speaks under the cell.
_SPOT = {"embedding_dim": "vocab", "dense_activation": "dense"}
#: A spot's messages: (level, text) pairs, drawn as one box per level ("error", "warning").
Notes = dict[str, list[tuple[str, str]]]


def render_controls() -> tuple[ModelSpec | None, SpecError | None]:
    """Draw the sidebar controls and build the spec they describe.

    The controls' values are final before the script runs (callbacks run first), so what is
    wrong is known before anything is drawn and each message is drawn right under its control
    — no placeholder per control on every rerun (issue 14: each element costs a rerun time).

    Returns:
        The spec (``None`` when the combination cannot work) and the error explaining why;
        the error is already shown next to the control that causes it.
    """
    _init_from_url()
    _keep_defaults()
    state = st.session_state
    boxes = drawn_boxes(state)
    # Every box holding a bad value says so, not just the first one the spec would read.
    errors = [error for name in boxes if (error := _number_error(name)) is not None]
    spec = None
    if not errors:
        try:
            spec = spec_from_state(state)
        except SpecError as error:
            errors = [error]
    # The preset box names a preset only while the controls match it. Set before the box is
    # drawn, as a callback on every control would (and would build the spec twice per rerun).
    # Written only when it changes: a widget value written from code is sent again.
    preset = (matching_preset(spec) if spec is not None else None) or CUSTOM
    if state.get(_key("preset")) != preset:
        state[_key("preset")] = preset
    with st.sidebar:
        _draw_controls(boxes, _notes(errors, state))
    return spec, errors[0] if errors else None


def _number_error(name: str) -> SpecError | None:
    try:
        read_number(st.session_state, name)
    except SpecError as error:
        return error
    return None


def drawn_boxes(state: Any) -> list[str]:
    """The number boxes the sidebar draws for ``state``, top to bottom (hidden ones are not
    read)."""
    depth = _valid_depth(state)
    if depth is None:  # a bad depth: keep the units boxes of the last good one
        depth = int(state.get(_key("shown_layers"), 1))
    boxes = ["layers", *(f"units_{index}" for index in range(depth))]
    if not state[_key("variable_length")]:
        boxes.append("seq_len")
    boxes += ["vocab", "embedding_dim"] if state[_key("input")] == "tokens" else ["features"]
    if state[_key("fixed_batch")]:
        boxes.append("batch")
    if state[_key("head")]:
        boxes.append("dense")
    return boxes


def _spot(field_name: str) -> str:
    return _SPOT.get(field_name, field_name) if field_name in SPOTS else "cell"


def _notes(errors: list[SpecError], state: Any) -> Notes:
    """What to say under which control: each error at its field's spot (boxes sharing a spot,
    like the units, share a message); a merge-mode error also points at the controls that
    take part."""
    notes: Notes = {}
    for error in errors:
        notes.setdefault(_spot(error.field), []).append(("error", f"{error}."))
    if len(errors) == 1 and errors[0].field == "merge_mode":
        if state[_key("head")]:
            notes.setdefault("dense", []).append(
                (
                    "warning",
                    "A Dense layer takes one tensor; merge mode None returns two (see merge mode).",
                )
            )
        if (_valid_depth(state) or 1) > 1:
            notes.setdefault("layers", []).append(
                (
                    "warning",
                    "Stacking needs one tensor between layers; merge mode None returns "
                    "two (see merge mode).",
                )
            )
    return notes


def _say(notes: Notes, spot: str) -> None:
    """The messages for ``spot``, one box per level, right under its control."""
    for level, draw, icon in (
        ("error", st.error, ":material/error:"),
        ("warning", st.warning, ":material/warning:"),
    ):
        texts = [text for kind, text in notes.get(spot, ()) if kind == level]
        if texts:
            draw("\n\n".join(texts), icon=icon)


#: The message spots, one under each control or row of controls, top to bottom.
SPOTS = (
    "cell", "use_bias", "reset_after", "layers", "units", "return_sequences", "merge_mode",
    "return_state", "input", "seq_len", "vocab", "embedding_dim", "features", "batch", "dense",
    "dense_activation",
)  # fmt: skip


def _draw_controls(boxes: list[str], notes: Notes) -> None:
    """The widgets, top to bottom, each followed by what is wrong with it (``notes``)."""
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
        required=True,
        format_func=lambda value: Cell(value).keras_name,
    )
    _say(notes, "cell")
    _number("layers", on_change=_on_layers)
    _say(notes, "layers")
    units = [name for name in boxes if name.startswith("units_")]
    st.session_state[_key("shown_layers")] = len(units)
    if len(units) == 1:  # one box needs no row of columns (two elements fewer per rerun)
        _number(units[0])
    else:
        columns = st.columns(min(len(units), 3))
        for index, name in enumerate(units):
            with columns[index % len(columns)]:
                _number(name)
    _say(notes, "units")
    depth = len(units)
    st.toggle(
        "Last layer returns sequences" if depth > 1 else "Return sequences",
        key=_key("return_sequences"),
        help="On: one output per time step (batch, T, width). Off: one vector per sequence.",
    )
    if depth > 1:
        lower = "Layer 1 always returns" if depth == 2 else f"Layers 1–{depth - 1} always return"
        st.caption(
            f"{lower} sequences: the layer above is a recurrent layer and needs a time axis, "
            "(batch, T, width), to read."
        )
    _say(notes, "return_sequences")
    bidirectional = Cell(st.session_state[_key("cell")]).variant_name(bidirectional=True)
    st.segmented_control(
        f"Merge mode ({bidirectional})",
        [mode.value for mode in MergeMode],
        key=_key("merge_mode"),
        required=True,
        format_func=lambda value: "None" if value == "none" else value,
        help="How Bidirectional combines the forward and backward outputs. concat doubles the "
        "width; sum, mul and ave keep it; None returns the two tensors separately.",
    )
    _say(notes, "merge_mode")
    st.segmented_control(
        "Input",
        ["features", "tokens"],
        key=_key("input"),
        required=True,
        format_func=lambda value: "float features" if value == "features" else "token ids",
    )
    _say(notes, "input")
    st.toggle(
        "Variable length (T = None)",
        key=_key("variable_length"),
        help="On: the model takes sequences of any length, keras.Input(shape=(None, d)); "
        "the time axis of every shape reads None.",
    )
    if "seq_len" in boxes:
        _number("seq_len")
    _say(notes, "seq_len")
    if "vocab" in boxes:
        left, right = st.columns(2)
        with left:
            _number("vocab")
        with right:
            _number("embedding_dim")
        _say(notes, "vocab")
    else:
        _number("features")
        _say(notes, "features")
    st.toggle("Dense head", key=_key("head"))
    if "dense" in boxes:
        left, right = st.columns(2)
        with left:
            _number("dense")
        with right:
            st.selectbox("Activation", ACTIVATIONS, key=_key("dense_activation"))
    _say(notes, "dense")
    _draw_more_options(boxes, notes)


#: The key of the "More options" expander: its state is whether it is open.
MORE_OPTIONS_KEY = PREFIX + "more_options"
#: The controls under "More options", and their message spots.
MORE_CONTROLS = ("use_bias", "reset_after", "return_state", "fixed_batch", "batch")
MORE_SPOTS = ("use_bias", "reset_after", "return_state", "batch")


def _draw_more_options(boxes: list[str], notes: Notes) -> None:
    """The options a first look does not need, in an expander whose controls are drawn only
    while it is open (issue 14: every widget costs each rerun); closed, they keep their values
    (`_keep_defaults`) and anything wrong with them shows under it."""
    more = st.expander(
        "More options: bias, return state, batch size",
        key=MORE_OPTIONS_KEY,
        on_change="rerun",
    )
    if more.open is False:
        for spot in MORE_SPOTS:
            _say(notes, spot)
        return
    # persist_state="page": Streamlit keeps each value while the expander is closed and hands
    # it to the browser again when it opens (a value merely written back from code was kept on
    # the server, but the reopened box showed its built-in default).
    with more:
        st.toggle(
            "Use bias",
            key=_key("use_bias"),
            help="Off: use_bias=False, no bias vectors in any recurrent cell (PyTorch: "
            "bias=False).",
            persist_state="page",
        )
        _say(notes, "use_bias")
        if _shows_reset_after(st.session_state):
            st.toggle(
                "reset_after (GRU)",
                key=_key("reset_after"),
                help="On (Keras's default): the reset gate is applied after the recurrent "
                "kernel, with two bias vectors, as PyTorch's GRU does. Off: before it, with one "
                "bias vector; PyTorch has no such layer.",
                persist_state="page",
            )
        _say(notes, "reset_after")
        st.toggle("Return state (last layer)", key=_key("return_state"), persist_state="page")
        _say(notes, "return_state")
        st.toggle(
            "Fixed batch size",
            key=_key("fixed_batch"),
            help="Off: batch is None (any batch size).",
            persist_state="page",
        )
        if "batch" in boxes:
            _number("batch", persist_state="page")
        _say(notes, "batch")


# ------------------------------------------------------------------ tables and numbers


def variant_table(variant: VariantAnalysis) -> pa.Table:
    """One variant's layers as displayed: every number is the analysis's, formatted.

    Types get soft breaks (`breakable`) so two tables side by side fit a projector without
    clipping a column. An Arrow table built from the columns directly: through pandas it took
    ~0.5 ms per table, paid on every new model (issue 14).
    """
    layers = variant.layers
    columns = (
        [row.name for row in layers],
        [breakable(row.type) for row in layers],
        [format_shape(row.output_shapes) for row in layers],
        [fmt(row.params) for row in layers],
        [row.formula for row in layers],
    )
    # From typed arrays: `pa.table` on a dict asks, per call, whether pandas is imported (an
    # import-lock round trip that twenty simultaneous reruns queue on).
    return pa.Table.from_arrays(
        [pa.array(column, type=pa.string()) for column in columns], names=list(TABLE_COLUMNS)
    )


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


def render_summary(comparison: Comparison) -> None:
    """The headline and the four numbers a class looks at first: both totals and the ratios.

    Always drawn, above the views, so they stay in sight whichever view is open.
    """
    uni, bi = comparison.uni, comparison.bi
    st.markdown(explain.parameter_headline(comparison))
    with st.container(horizontal=True):  # one block: four columns would cost five per rerun
        st.metric(f"{uni.label} total (Keras)", fmt(uni.total_params), width="stretch")
        st.metric(f"{bi.label} total (Keras)", fmt(bi.total_params), width="stretch")
        st.metric("Whole model ratio", f"{comparison.total_ratio:.2f}×", width="stretch")
        st.metric("Recurrent layers ratio", f"{comparison.recurrent_ratio:.2f}×", width="stretch")


def render_layers(spec: ModelSpec, comparison: Comparison) -> None:
    """The reasons, the two per-layer tables side by side, the PyTorch note, Verify and CSV."""
    uni, bi = comparison.uni, comparison.bi
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
        with column:  # heading and total in one element: each costs a rerun time
            st.markdown(
                f"### {variant.label}\n"
                f"Total (Keras `count_params()`): **{fmt(variant.total_params)}** · "
                f"PyTorch equivalent: **{explain.torch_count(variant.torch_params)}**"
            )
            st.table(table, hide_index=True)
    st.caption(f"Keras vs PyTorch: {explain.torch_difference(comparison.spec)}")
    render_verify(spec, comparison)


# The tables as Arrow tables, built once per model: immutable, so every session may share them,
# and st.table sends one as it is, where it converts a DataFrame on every rerun. An Arrow
# table has no index.


@spec_cache.per_spec
def _layer_tables(spec: ModelSpec) -> tuple[pa.Table, pa.Table]:
    comparison = compare(spec)
    return variant_table(comparison.uni), variant_table(comparison.bi)


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
    key = _json_of(spec)
    clicked = False
    with st.container(horizontal=True):  # one block: columns would cost three per rerun
        if key not in results:
            clicked = st.button(
                "Verify with real Keras",
                key=_key("verify"),
                help="Builds both models with Keras (and PyTorch) and compares every number shown.",
            )
        st.download_button(
            "Download the table (CSV)",
            partial(_spec_csv, spec),  # written when clicked, not on every rerun
            file_name="bilstm_lab_comparison.csv",
            mime="text/csv",
            key=_key("csv"),
            # No rerun on click: a rerun could replace the deferred file before it is fetched.
            on_click="ignore",
        )
    if clicked:
        with st.spinner("Building the real models…"):
            try:
                results[key] = _verify(key)
            except WorkerLost:
                st.error(explain.JOB_INTERRUPTED.format(what="The check"), icon=":material/error:")
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


#: The views, in order (the tests open them by these labels). The layers view is the first, so
#: a fresh page shows the tables with their formulas.
VIEWS = (
    "Layers and formulas",
    "Layer stack",
    "Unrolled in time",
    "Where the parameters go",
    "Code",
)
#: The key of the views' buttons: its state is the open view's label.
VIEW_KEY = PREFIX + "view"
#: Session key: the view last open (the buttons' own state is dropped in a run without them).
VIEW_SHOWN = PREFIX + "view_shown"


def render_views(spec: ModelSpec, comparison: Comparison, preset: Preset | None) -> None:
    """A row of view buttons: the layer tables, three diagrams, the code — only the open view
    is built.

    Drawing every view on every rerun was most of a rerun's time (issue 14): each element and
    widget costs a share, and a class changing controls at once pays it once per student. A
    segmented control and not `st.tabs`: tabs cost a block per view on every rerun (0.6 ms,
    a tenth of a rerun) where the control is one widget (0.12 ms), and its buttons are larger
    targets on a projector.
    """
    views = {
        VIEWS[0]: partial(render_layers, spec, comparison),
        VIEWS[1]: partial(render_stack, spec, comparison),
        VIEWS[2]: partial(render_unrolled, spec, comparison),
        VIEWS[3]: partial(render_where, spec, comparison),
        VIEWS[4]: partial(render_code, spec, preset),
    }
    state = st.session_state
    if state.get(VIEW_KEY) not in VIEWS:  # a run that drew no views (an error, the quiz) dropped it
        state[VIEW_KEY] = state.get(VIEW_SHOWN, VIEWS[0])
    view = st.segmented_control(
        "View", VIEWS, key=VIEW_KEY, required=True, label_visibility="collapsed"
    )
    view = view or VIEWS[0]  # never None when required; said for the type checker
    views[view]()
    state[VIEW_SHOWN] = view


def render_stack(spec: ModelSpec, comparison: Comparison) -> None:
    """Both variants' layer stacks side by side (Graphviz)."""
    st.caption(explain.stack_caption(comparison.uni.label, comparison.bi.label))
    st.graphviz_chart(spec_cache.stack_dot(spec, display.text_scale()), width="content")
    downloads.stack_downloads(comparison)  # SVG, PNG, LaTeX: drawn only when clicked


#: Session key: the variant the unrolled view last showed (its control's own state is dropped
#: while the view is closed, since the control is not drawn then).
UNROLLED_SHOWN = _key("unrolled_shown")
#: The key of the unrolled view's variant control (a locked link keeps it: `display.LOCK_KEEPS`).
UNROLLED_VARIANT_KEY = _key("unrolled_variant")


def render_unrolled(spec: ModelSpec, comparison: Comparison) -> None:
    """The model unrolled over time steps, one variant at a time (plotly)."""
    variant = UNROLLED_VARIANT_KEY
    if variant not in st.session_state:
        st.session_state[variant] = st.session_state.get(UNROLLED_SHOWN, "bi")
    choice = st.segmented_control(
        "Variant to unroll",  # shown: it sits under the row of views and looks like it
        ["bi", "uni"],
        key=variant,
        required=True,
        format_func=lambda value: comparison.bi.label if value == "bi" else comparison.uni.label,
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
    current = st.query_params.to_dict()
    query = dict(_query_of(spec))
    # The display flags (?present=1, ?lock=1) stay in the URL.
    query.update({key: current[key] for key in display.DISPLAY_FLAGS if key in current})
    if current != query:
        st.query_params.from_dict(query)


# A spec's URL query and JSON, written once per model: a spec is immutable, so every session
# may share them (bounded: a visitor can make many models).
@lru_cache(maxsize=256)
def _query_of(spec: ModelSpec) -> Mapping[str, str]:
    return MappingProxyType(spec.to_query())


@lru_cache(maxsize=256)
def _json_of(spec: ModelSpec) -> str:
    return spec.to_json()


def render_page() -> None:
    """The whole Explorer page (the page script only sets up and calls this)."""
    st.title("Architecture Explorer", anchor=False)  # no link icon: nothing links to it
    if not quiz.active():  # a quiz has its own intro: the Explorer's speaks of shown numbers
        st.markdown(explain.EXPLORER_LOCKED_INTRO if display.locked() else explain.EXPLORER_INTRO)
    quizzing = quiz.render_toggle()
    spec, error = render_controls()
    if spec is not None and st.session_state.get(_key("url_spec")) not in (None, _json_of(spec)):
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
    st.session_state[_key("url_spec")] = _json_of(spec)
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
    render_summary(comparison)
    render_views(spec, comparison, preset)
