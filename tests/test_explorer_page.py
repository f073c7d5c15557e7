"""The Explorer page, run headless with `streamlit.testing.v1.AppTest`.

Every number the page shows must be the analysis engine's: the per-layer tables, the totals,
the ratios and the PyTorch counts, for the defaults, every preset and a set of control changes.
Bad input (impossible combinations, hand-edited URLs) must give a message, never an exception.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import Comparison, compare
from bilstm_lab.core.formatting import SOFT_BREAK, fmt, format_shape
from bilstm_lab.core.presets import PRESETS
from bilstm_lab.core.spec import (
    DEFAULT_SPEC,
    LIMITS,
    DenseHead,
    FeatureInput,
    MergeMode,
    ModelSpec,
    TokenInput,
    from_query,
)
from bilstm_lab.ui.explorer import MORE_OPTIONS_KEY, VIEW_KEY, VIEWS, comparison_csv
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")
TIMEOUT = 120  # seconds: generous, the machine is shared; only the verify test loads Keras


def _app(query: dict[str, str] | None = None, view: str | None = None) -> AppTest:
    """The page with "More options" open, so every control is drawn, and ``view`` open."""
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.session_state[MORE_OPTIONS_KEY] = True
    if view is not None:
        at.session_state[VIEW_KEY] = view
    at.run()
    return at


def _metric(at: AppTest, label: str) -> str:
    matches = [m.value for m in at.metric if m.label == label]
    assert len(matches) == 1, f"metric {label!r} not found in {[m.label for m in at.metric]}"
    return matches[0]


def assert_page_matches(at: AppTest, spec: ModelSpec) -> None:
    """Every number on the page equals the analysis of ``spec``; no exception; URL in step."""
    assert not at.exception, [e.value for e in at.exception]
    comparison: Comparison = compare(spec)
    uni, bi = comparison.uni, comparison.bi
    assert _metric(at, f"{uni.label} total (Keras)") == fmt(uni.total_params)
    assert _metric(at, f"{bi.label} total (Keras)") == fmt(bi.total_params)
    assert _metric(at, "Whole model ratio") == f"{comparison.total_ratio:.2f}×"
    assert _metric(at, "Recurrent layers ratio") == f"{comparison.recurrent_ratio:.2f}×"
    for table, variant in zip(at.table[:2], (uni, bi), strict=True):
        # The soft breaks only let a narrow column wrap; the text is the analysis's.
        frame = table.value.replace(SOFT_BREAK, "", regex=True)
        assert list(frame["layer"]) == [row.name for row in variant.layers]
        assert list(frame["type"]) == [row.type for row in variant.layers]
        assert list(frame["output shape"]) == [
            format_shape(r.output_shapes) for r in variant.layers
        ]
        assert list(frame["params"]) == [fmt(row.params) for row in variant.layers]
        assert list(frame["formula"]) == [row.formula for row in variant.layers]
    texts = " ".join(m.value for m in at.markdown)
    for variant in (uni, bi):
        assert (
            f"Total (Keras `count_params()`): **{fmt(variant.total_params)}** · "
            f"PyTorch equivalent: **{explain.torch_count(variant.torch_params)}**"
        ) in texts
    for ratio in comparison.layer_ratios():
        assert f"{fmt(ratio.uni_params)} → {fmt(ratio.bi_params)} (**{ratio.ratio:.2f}×**)" in texts
        assert explain.ratio_reason(ratio) in texts
    assert f"{comparison.recurrent_ratio:.2f}× the recurrent parameters" in texts
    assert explain.torch_difference(comparison.spec) in " ".join(c.value for c in at.caption)
    # The URL always describes what is shown, so a copied link reopens the same view.
    assert _query(at) == spec.to_query()


def _query(at: AppTest) -> dict[str, str]:
    values = {key: at.query_params[key] for key in at.query_params}
    return {key: v if isinstance(v, str) else v[-1] for key, v in values.items()}


def test_defaults() -> None:
    at = _app()
    assert_page_matches(at, DEFAULT_SPEC)
    assert _query(at) == DEFAULT_SPEC.to_query()
    assert not at.warning and not at.error


def test_first_paint_does_not_import_tensorflow() -> None:
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({PAGE!r}, default_timeout={TIMEOUT})\n"
        "at.run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "assert at.metric, 'the page painted nothing'\n"
        "sys.exit('tensorflow imported' if 'tensorflow' in sys.modules or 'keras' in sys.modules else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-2000:]


@pytest.mark.parametrize("preset", PRESETS, ids=lambda preset: preset.key)
def test_every_preset_sets_every_control(preset) -> None:  # type: ignore[no-untyped-def]
    at = _app()
    at.selectbox(key="ex_preset").set_value(preset.key).run()
    assert_page_matches(at, preset.spec)
    assert _query(at) == preset.spec.to_query()
    assert any(preset.note in info.value for info in at.info)
    if preset.article_code:
        at.session_state[VIEW_KEY] = "Code"
        at.run()
        assert any(code.value.strip() == preset.article_code.strip() for code in at.code)


def _set(key: str, value: object) -> Callable[[AppTest], None]:
    def action(at: AppTest) -> None:
        widget = at.get_by_key(f"ex_{key}")  # type: ignore[attr-defined]
        widget.set_value(value)

    return action


# Each step changes one control, and says (independently of the page) what the spec becomes.
STEPS: list[tuple[str, Callable[[AppTest], None], Callable[[ModelSpec], ModelSpec]]] = [
    ("units 32", _set("units_0", 32), lambda s: s.with_changes(units=(32,))),
    ("two layers", _set("layers", 2), lambda s: s.with_changes(units=(32, 32))),
    ("second layer 16", _set("units_1", 16), lambda s: s.with_changes(units=(32, 16))),
    ("merge sum", _set("merge_mode", "sum"), lambda s: s.with_changes(merge_mode=MergeMode.SUM)),
    ("cell gru", _set("cell", "gru"), lambda s: s.with_changes(cell="gru")),
    ("last only", _set("return_sequences", False), lambda s: s.with_changes(return_sequences=False)),
    ("state", _set("return_state", True), lambda s: s.with_changes(return_state=True)),
    ("tokens", _set("input", "tokens"), lambda s: s.with_changes(input=TokenInput(10, 10_000, 128))),
    ("vocab", _set("vocab", 500), lambda s: s.with_changes(input=TokenInput(10, 500, 128))),
    ("seq_len", _set("seq_len", 7), lambda s: s.with_changes(input=TokenInput(7, 500, 128))),
    ("head", _set("head", True), lambda s: s.with_changes(head=DenseHead(10, "softmax"))),
    ("dense 3", _set("dense", 3), lambda s: s.with_changes(head=DenseHead(3, "softmax"))),
    ("batch", _set("fixed_batch", True), lambda s: s.with_changes(batch_size=32)),
    ("batch 4", _set("batch", 4), lambda s: s.with_changes(batch_size=4)),
    ("cell rnn", _set("cell", "rnn"), lambda s: s.with_changes(cell="rnn")),
    ("merge concat", _set("merge_mode", "concat"), lambda s: s.with_changes(merge_mode="concat")),
    ("one layer", _set("layers", 1), lambda s: s.with_changes(units=(32,))),
    ("features", _set("input", "features"), lambda s: s.with_changes(input=FeatureInput(7, 100))),
]  # fmt: skip


def test_control_changes_update_every_number() -> None:
    at = _app()
    expected = DEFAULT_SPEC
    for name, action, change in STEPS:
        action(at)
        at.run()
        expected = change(expected)
        try:
            assert_page_matches(at, expected)
            assert _query(at) == expected.to_query()
        except AssertionError as error:
            raise AssertionError(f"after step {name!r}: {error}") from error


def test_merge_none_with_a_head_is_explained_next_to_the_control() -> None:
    at = _app()
    _set("head", True)(at)
    at.run()
    _set("merge_mode", "none")(at)
    at.run()
    assert not at.exception
    sidebar_errors = [e.value for e in at.sidebar.error]
    assert any("cannot feed a Dense head" in text for text in sidebar_errors)
    assert any("Dense layer takes one tensor" in w.value for w in at.sidebar.warning)
    assert not at.metric and not at.table  # nothing half-drawn from an impossible model
    # The URL keeps describing the last model that was shown.
    assert _query(at) == DEFAULT_SPEC.with_changes(head=DenseHead()).to_query()


def test_merge_none_on_a_stack_is_explained_next_to_the_control() -> None:
    at = _app()
    _set("layers", 2)(at)
    at.run()
    _set("merge_mode", "none")(at)
    at.run()
    assert not at.exception
    assert any("only works on a single recurrent layer" in e.value for e in at.sidebar.error)
    assert any("Stacking needs one tensor" in w.value for w in at.sidebar.warning)
    # Back to a single layer: the model is valid again and drawn.
    _set("layers", 1)(at)
    at.run()
    assert_page_matches(at, DEFAULT_SPEC.with_changes(merge_mode=MergeMode.NONE))


def test_lower_layers_returning_sequences_is_explained() -> None:
    at = _app()
    _set("layers", 3)(at)
    at.run()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Layers 1–2 always return sequences" in captions
    _set("layers", 2)(at)
    at.run()
    assert "Layer 1 always returns sequences" in " ".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize(
    "query",
    [
        {"units": "abc"},
        {"cell": "transformer", "seq_len": "-3"},
        {"merge_mode": "none", "dense": "5"},
        {"batch": "1e9", "surprise": "1"},
        {"units": "64," * 20},
        {"input": "tokens", "vocab": "1", "embedding_dim": "<script>"},
        {"cell": "lstm", "reset_after": "false"},
        {"seq_len": "forever", "use_bias": "maybe"},
    ],
)
def test_bad_url_falls_back_with_a_warning(query: dict[str, str]) -> None:
    at = _app(query)
    assert not at.exception, [e.value for e in at.exception]
    assert at.warning, "a bad link must say what it ignored"
    assert "fell back to defaults" in at.warning[0].value
    # The page shows what the forgiving parser makes of the link, and the URL now says so.
    expected, warnings = from_query(query)
    assert warnings
    assert_page_matches(at, expected)
    assert not at.error


def _toggles(at: AppTest) -> set[str]:
    return {toggle.key for toggle in at.sidebar.toggle}


def test_cell_options_and_a_variable_length() -> None:
    at = _app()
    assert "ex_use_bias" in _toggles(at) and "ex_reset_after" not in _toggles(at)  # LSTM
    steps = [
        ("no bias", "use_bias", False, DEFAULT_SPEC.with_changes(use_bias=False)),
        ("gru", "cell", "gru", DEFAULT_SPEC.with_changes(use_bias=False, cell="gru")),
        ("reset before", "reset_after", False,
         DEFAULT_SPEC.with_changes(use_bias=False, cell="gru", reset_after=False)),
        ("any length", "variable_length", True,
         DEFAULT_SPEC.with_changes(use_bias=False, cell="gru", reset_after=False,
                                   input=FeatureInput(None, 100))),
    ]  # fmt: skip
    for name, key, value, expected in steps:
        _set(key, value)(at)
        at.run()
        try:
            assert_page_matches(at, expected)
        except AssertionError as error:
            raise AssertionError(f"after step {name!r}: {error}") from error
    assert "ex_reset_after" in _toggles(at)
    assert "ex_seq_len" not in {box.key for box in at.sidebar.number_input}
    assert _query(at)["seq_len"] == "none" and _query(at)["reset_after"] == "false"
    # No PyTorch equivalent: the tables say so, and the PyTorch tab explains instead of code.
    assert "PyTorch equivalent: **no equivalent**" in " ".join(m.value for m in at.markdown)
    at.session_state[VIEW_KEY] = "Code"
    at.session_state["ex_code_tab"] = "PyTorch"  # only the open code tab is drawn
    at.run()
    assert any(explain.torch_difference(expected) == info.value for info in at.info)
    assert not any("import torch" in code.value for code in at.code)
    at.session_state["ex_code_tab"] = "Keras GRU"
    at.session_state[VIEW_KEY] = VIEWS[0]  # back to the tables
    # Back to LSTM: reset_after is a GRU option, so its control goes and the LSTM is valid.
    _set("cell", "lstm")(at)
    at.run()
    assert "ex_reset_after" not in _toggles(at)
    assert_page_matches(at, expected.with_changes(cell="lstm", reset_after=True))


def test_cell_options_url_reopens_the_same_view() -> None:
    spec = ModelSpec(cell="gru", units=(3,), use_bias=False, reset_after=False,
                     input=TokenInput(None, 50, 4))  # fmt: skip
    at = _app(spec.to_query())
    assert_page_matches(at, spec)
    assert not at.warning
    assert at.toggle(key="ex_variable_length").value is True
    assert at.toggle(key="ex_reset_after").value is False


def test_good_url_reopens_the_same_view() -> None:
    spec = PRESETS[2].spec.with_changes(merge_mode=MergeMode.AVE, batch_size=5)
    at = _app(spec.to_query())
    assert_page_matches(at, spec)
    assert not at.warning
    assert _query(at) == spec.to_query()


def test_url_warning_goes_away_after_a_change() -> None:
    at = _app({"units": "zero"})
    assert at.warning
    _set("units_0", 8)(at)
    at.run()
    assert not at.warning
    assert_page_matches(at, DEFAULT_SPEC.with_changes(units=(8,)))


def test_csv_holds_the_analysis_numbers() -> None:
    spec = PRESETS[2].spec
    frame = pd.read_csv(io.StringIO(comparison_csv(compare(spec))))
    comparison = compare(spec)
    rows = [row for variant in (comparison.uni, comparison.bi) for row in variant.layers]
    assert list(frame["params"]) == [row.params for row in rows]
    assert list(frame["torch_params"]) == [row.torch_params for row in rows]
    assert list(frame["layer"]) == [row.name for row in rows]


def test_csv_leaves_a_missing_torch_count_empty() -> None:
    spec = ModelSpec(cell="gru", units=(3,), reset_after=False, input=TokenInput(None, 50, 4))
    lines = comparison_csv(compare(spec)).splitlines()
    assert lines[1].startswith('GRU,embedding,Embedding,"(None, None, 4)",200,50·4 = 200,200,')
    assert lines[2].endswith(",72,3·3·(4+3+1) = 72,,")


@pytest.mark.slow
def test_verify_with_keras_shows_the_check_mark() -> None:
    at = _app()
    at.button(key="ex_verify").click().run()
    assert not at.exception, [e.value for e in at.exception]
    successes = [s.value for s in at.success]
    assert any("Verified" in text and "numbers agree" in text for text in successes), successes


def test_verify_refuses_a_huge_model_politely() -> None:
    at = _app({"input": "tokens", "vocab": "200000", "embedding_dim": "1024", "units": "4096"})
    assert not at.warning
    at.button(key="ex_verify").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Not verified" in info.value and "too large" in info.value for info in at.info)
    spec = ModelSpec(units=(4096,), input=TokenInput(10, 200_000, 1024))
    assert_page_matches(at, spec)


# --- number boxes: their ranges, and a value outside them ---------------------------------------

#: Every number box of the sidebar -> the `LIMITS` entry it is checked against.
BOX_LIMITS = {
    "ex_layers": "layers",
    "ex_units_0": "units",
    "ex_units_1": "units",
    "ex_seq_len": "seq_len",
    "ex_vocab": "vocab",
    "ex_embedding_dim": "embedding_dim",
    "ex_features": "features",
    "ex_batch": "batch",
    "ex_dense": "dense",
}


def test_every_number_box_states_its_range_in_its_help() -> None:
    at = _app()
    for key, value in (("layers", 2), ("head", True), ("fixed_batch", True)):
        _set(key, value)(at)
        at.run()
    boxes = {box.key: box for box in at.sidebar.number_input}
    _set("input", "tokens")(at)
    at.run()
    boxes.update({box.key: box for box in at.sidebar.number_input})
    assert set(boxes) == set(BOX_LIMITS)
    for key, box in boxes.items():
        low, high = LIMITS[BOX_LIMITS[key]]
        assert explain.value_range(low, high) in (box.help or ""), (key, box.help)
    assert "1–4,096" in boxes["ex_units_0"].help and "1–5,000" in boxes["ex_seq_len"].help


@pytest.mark.parametrize(
    ("key", "label", "value", "problem"),
    [
        ("units_0", "units, layer 1", 5000, "5,000 is too large"),
        ("seq_len", "Sequence length T", 6000, "6,000 is too large"),
        ("features", "Features per step", 0, "0 is too small"),
    ],
)
def test_an_out_of_range_number_is_named_under_its_box(
    key: str, label: str, value: int, problem: str
) -> None:
    at = _app()
    _set(key, value)(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    low, high = LIMITS[BOX_LIMITS[f"ex_{key}"]]
    message = explain.out_of_range(label, value, low, high)
    assert message.startswith(f"{label} must be a whole number from {low:,} to {high:,}")
    assert message.endswith(problem)
    [error] = at.sidebar.error
    assert error.value == f"{message}." and error.icon == ":material/error:"
    # The box keeps what was typed (the browser no longer drops it silently) ...
    assert at.number_input(key=f"ex_{key}").value == value
    # ... nothing is drawn from a value the model cannot take, and the page says why.
    assert not at.metric and not at.table
    assert any(message in e.value and "⚠️" not in e.value for e in at.main.error)
    assert _query(at) == DEFAULT_SPEC.to_query()  # the link keeps the last model shown
    # A good value brings the page back.
    _set(key, 12)(at)
    at.run()
    assert not at.error
    assert_page_matches(at, spec_of_state(at))


def spec_of_state(at: AppTest) -> ModelSpec:
    from bilstm_lab.ui.explorer import spec_from_state

    return spec_from_state(at.session_state)


def test_every_bad_box_says_so_and_a_bad_depth_keeps_the_units_boxes() -> None:
    at = _app()
    _set("layers", 2)(at)
    at.run()
    _set("units_1", 5000)(at)
    at.run()
    _set("seq_len", 6000)(at)
    at.run()
    errors = " ".join(e.value for e in at.sidebar.error)
    assert "units, layer 2 must be a whole number from 1 to 4,096 — 5,000 is too large" in errors
    assert "Sequence length T must be a whole number from 1 to 5,000 — 6,000 is too large" in errors
    _set("layers", 9)(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "from 1 to 6 — 9 is too large" in " ".join(e.value for e in at.sidebar.error)
    keys = [box.key for box in at.sidebar.number_input]
    assert keys.count("ex_units_0") == 1 and "ex_units_1" in keys and "ex_units_2" not in keys
    for key, value in (("units_1", 16), ("layers", 3), ("seq_len", 8)):
        _set(key, value)(at)
        at.run()
    assert_page_matches(at, DEFAULT_SPEC.with_changes(units=(64, 16, 16), input=FeatureInput(8)))


@pytest.mark.parametrize(
    ("cell", "variant"), [("lstm", "BiLSTM"), ("gru", "BiGRU"), ("rnn", "BiSimpleRNN")]
)
def test_the_merge_mode_label_names_the_chosen_cell(cell: str, variant: str) -> None:
    at = _app()
    _set("cell", cell)(at)
    at.run()
    labels = [control.label for control in at.sidebar.get("button_group")]
    assert f"Merge mode ({variant})" in labels
    assert not any("LSTM" in label for label in labels if cell != "lstm")
