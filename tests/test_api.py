"""The notebook API (`bilstm_lab.api`): its numbers against real Keras, its displays, its errors.

The models compared with here are written in plain Keras in this file (or by
`tests.helpers_models`), not by the lab's builder, so the API cannot agree with itself by
construction.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import bilstm_lab as lab
from bilstm_lab.api import ModelComparison
from bilstm_lab.cli.main import build_parser, spec_from_args
from bilstm_lab.core import comparison_table
from bilstm_lab.core.errors import ConversionError, InputError, NotAModel, SpecError, UploadError
from bilstm_lab.models.convert import convert_and_check
from tests.conftest import ROOT
from tests.helpers_models import make_model
from tests.keras_facts import keras_layer_facts


def test_import_bilstm_lab_does_not_import_tensorflow() -> None:
    code = (
        "import sys, bilstm_lab\n"
        "from bilstm_lab import compare\n"
        "c = compare(units=(8, 4), features=3)\n"
        "assert c.bi.total_params > c.uni.total_params\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'torch', 'pandas', 'streamlit')"
        " if m in sys.modules)\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_package_exposes_only_the_api_names_lazily() -> None:
    assert {"compare", "inspect_model", "to_bidirectional"} <= set(dir(lab))
    assert lab.compare is lab.api.compare
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        lab.nope  # noqa: B018


def _gru_tokens(bidirectional: bool) -> keras.Model:
    """The README's GRU(64, 32) over 20 token ids, written out in plain Keras (Sequential)."""

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        return keras.layers.Bidirectional(layer) if bidirectional else layer

    return keras.Sequential(
        [
            keras.Input((20,), dtype="int32"),
            keras.layers.Embedding(10_000, 128),
            wrap(keras.layers.GRU(64, return_sequences=True)),
            wrap(keras.layers.GRU(32, return_sequences=True)),
        ]
    )


def _lstm_features_head(bidirectional: bool) -> keras.Model:
    """LSTM(6) -> LSTM(5) over (batch 4, 7 steps, 3 features), merge sum, Dense(2) (Functional)."""
    inputs = keras.Input((7, 3), batch_size=4)
    x = inputs
    for units, sequences in ((6, True), (5, False)):
        layer = keras.layers.LSTM(units, return_sequences=sequences)
        x = keras.layers.Bidirectional(layer, merge_mode="sum")(x) if bidirectional else layer(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="relu")(x))


CASES: list[tuple[dict[str, Any], Any]] = [
    (
        {"cell": "gru", "units": (64, 32), "seq_len": 20, "vocab": 10_000, "embedding_dim": 128},
        _gru_tokens,
    ),
    (
        {
            "units": [6, 5],
            "seq_len": 7,
            "features": 3,
            "batch": 4,
            "merge_mode": "sum",
            "return_sequences": False,
            "dense": 2,
            "dense_activation": "relu",
        },
        _lstm_features_head,
    ),
]


@pytest.mark.parametrize(("fields", "build"), CASES, ids=["gru-tokens-seq", "lstm-features-fn"])
def test_compare_numbers_are_real_keras(fields: dict[str, Any], build: Any) -> None:
    comparison = lab.compare(**fields)
    for variant, bidirectional in ((comparison.uni, False), (comparison.bi, True)):
        model = build(bidirectional)
        facts = keras_layer_facts(model)
        assert variant.total_params == model.count_params()
        assert [row.params for row in variant.layers] == [fact.params for fact in facts]
        assert [list(row.output_shapes) for row in variant.layers] == [
            fact.output_shapes for fact in facts
        ]
        assert [row.type for row in variant.layers] == [fact.type for fact in facts]


def test_compare_fields_are_the_cli_flags() -> None:
    flags = ["--preset", "stacked-classifier", "--cell", "rnn", "--units", "9,8", "--batch", "3",
             "--merge-mode", "ave", "--return-sequences", "--dense", "none"]  # fmt: skip
    cli_spec = spec_from_args(build_parser().parse_args(["summary", *flags]))
    api = lab.compare(
        preset="stacked-classifier",
        cell="rnn",
        units=(9, 8),
        batch=3,
        merge_mode="ave",
        return_sequences=True,
        dense=None,
    )
    assert api.spec == cli_spec
    assert lab.compare("stacked-classifier").spec == lab.compare(preset="stacked-classifier").spec
    # A key from before the presets were renamed still works.
    assert lab.compare("seed000-ex3").spec == lab.compare(preset="stacked-classifier").spec
    assert lab.compare(api.spec, units=4).spec == api.spec.with_changes(units=(4,))


def test_compare_displays_the_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    from bilstm_lab.cli.main import main

    comparison = lab.compare(preset="stacked-classifier")
    assert isinstance(comparison, ModelComparison)
    main(["summary", "--preset", "stacked-classifier"])
    assert repr(comparison) in capsys.readouterr().out
    page = comparison._repr_html_()
    assert page.count("<table") == 2  # the side-by-side table and the formulas
    for text in ("1,342,154", "1,420,682", "3.32×", "lstm_2 / bilstm_2", "PyTorch equivalent",
                 "because the layer below concatenates its two directions"):  # fmt: skip
        assert text in page, text


def test_compare_frame_has_plain_numbers() -> None:
    comparison = lab.compare(preset="stacked-classifier")
    frame = comparison.to_frame()
    assert list(frame.columns) == comparison_table.header(comparison)
    assert list(frame["layer"])[-2:] == [comparison_table.TOTAL_LABEL, comparison_table.TORCH_LABEL]
    assert list(frame["BiLSTM params"])[:-2] == [row.params for row in comparison.bi.layers]
    assert frame["BiLSTM params"].iloc[-2] == comparison.bi.total_params
    assert frame["ratio"].iloc[-2] == pytest.approx(comparison.total_ratio)


BAD_COMPARE: list[tuple[dict[str, Any], str]] = [
    ({"units": 0}, "units must be between 1 and 4096, received 0"),
    ({"cell": "transformer"}, "cell must be one of lstm, gru, rnn, received 'transformer'"),
    ({"colour": "red"}, "colour is not a model field"),
    ({"features": 3, "vocab": 10}, "describe different inputs"),
    ({"dense_activation": "relu"}, "dense_activation needs dense"),
    ({"merge_mode": "none", "units": (4, 4)}, "merge_mode none returns two separate tensors"),
    ({"preset": "nope"}, "preset must be one of"),
    ({"spec": 3}, "spec must be a ModelSpec or a preset key, received int"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_COMPARE, ids=[m for _, m in BAD_COMPARE])
def test_compare_bad_input_names_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        lab.compare(**fields)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_inspect_model_is_real_keras(kind: str, tmp_path: Path) -> None:
    model = make_model(kind, depth=2)
    summary = lab.inspect_model(model)
    facts = keras_layer_facts(model)
    assert summary.total_params == model.count_params()
    assert [row["params"] for row in summary.rows()] == [fact.params for fact in facts]
    assert [row["layer"] for row in summary.rows()] == [fact.name for fact in facts]
    assert [list(layer.output_shapes) for layer in summary.layers] == [
        fact.output_shapes for fact in facts
    ]
    assert "<table" in summary._repr_html_()
    frame = summary.to_frame()
    assert list(frame.columns) == ["layer", "type", "output shape", "params"]
    assert frame["params"].sum() == model.count_params()
    assert repr(summary).endswith(f"total params: {model.count_params():,}")
    path = tmp_path / "model.keras"
    model.save(path)
    assert lab.inspect_model(path).rows() == summary.rows()


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_to_bidirectional_is_the_checked_cli_conversion(kind: str) -> None:
    model = make_model(kind, depth=2, cells=("lstm", "gru"))
    bi_model, report = lab.to_bidirectional(model)
    assert report.params_after == bi_model.count_params()
    assert report.params_before == model.count_params()
    assert [type(layer).__name__ for layer in bi_model.layers[-3:]] == [
        "Bidirectional",
        "Bidirectional",
        "Dense",
    ]
    # The very conversion and check the CLI's `convert` runs.
    cli = convert_and_check(model)
    assert report.rows == cli.conversion.report.rows
    assert report.check == cli.check
    # Warm start: the first wrapper's forward direction holds the original layer's weights.
    original = model.get_layer("lstm_1").get_weights()
    forward = bi_model.get_layer("bi_lstm_1").forward_layer.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(original, forward, strict=True))
    batch = np.zeros((2, 5, 3), dtype="float32")
    assert bi_model.predict(batch, verbose=0).shape == (2, 2)
    assert "<table" in report._repr_html_()
    assert "loaded back with safe_mode=True" in repr(report)
    assert list(report.to_frame()["params after"]) == [row.params_after for row in report.rows]


def test_to_bidirectional_options() -> None:
    model = make_model("functional", depth=2, cells=("lstm",))
    converted = lab.to_bidirectional(model, layers="lstm_2", merge_mode="sum", warm_start=False)
    assert converted.report.changed_layers == ("bi_lstm_2",)
    assert "<table" in converted._repr_html_()
    wrapper = converted.model.get_layer("bi_lstm_2")
    assert wrapper.merge_mode == "sum"
    assert converted.report.rows[1].weights == "new (warm start off)"


def test_api_errors_are_input_errors(tmp_path: Path) -> None:
    model = make_model("sequential", depth=1)
    bad: list[tuple[Any, type[InputError], str]] = [
        (lambda: lab.inspect_model(42), NotAModel, "model must be a Keras model or the path"),
        (
            lambda: lab.inspect_model(keras.Sequential([keras.layers.LSTM(3)])),
            NotAModel,
            "model is not built yet",
        ),
        (lambda: lab.inspect_model(tmp_path / "missing.keras"), UploadError, "not found"),
        (lambda: lab.to_bidirectional(model, ["nope"]), ConversionError, "received nope"),
        (lambda: lab.to_bidirectional(model, merge_mode="max"), ConversionError, "merge_mode"),
        (lambda: lab.to_bidirectional("x"), UploadError, "model file not found"),
    ]
    for call, error, message in bad:
        with pytest.raises(error, match=message):
            call()


def readme_python_example() -> str:
    """The code block of the README's "Use it from Python" section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.+?)\n```", section, flags=re.DOTALL)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_python_example_runs_and_prints_what_it_says() -> None:
    code = readme_python_example()
    # Each print is followed by a comment line holding exactly what it prints.
    lines = code.splitlines()
    expected = [
        lines[i + 1].removeprefix("# ")
        for i, line in enumerate(lines[:-1])
        if line.startswith("print(")
    ]
    out = io.StringIO()
    namespace: dict[str, Any] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    assert out.getvalue().splitlines() == expected
    # And the printed numbers are real Keras's.
    assert namespace["comparison"].bi.total_params == _gru_tokens(True).count_params()
    assert namespace["comparison"].uni.total_params == _gru_tokens(False).count_params()
    assert namespace["summary"].total_params == namespace["model"].count_params()
    assert namespace["report"].params_after == namespace["bi_model"].count_params()
