"""The ``convert`` and ``inspect`` sub-commands: reports, saved files, one-line errors."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import keras
import numpy as np
import pytest

from bilstm_lab.cli.main import main
from bilstm_lab.core import explain
from bilstm_lab.core.conversion import ForwardCheck
from bilstm_lab.models import conversion_check
from bilstm_lab.models.convert import to_bidirectional
from bilstm_lab.models.introspect import layer_at, walk_layers
from bilstm_lab.models.model_io import load_model_file
from tests import gallery_models as gallery
from tests.conftest import ROOT
from tests.helpers_models import (
    BAD_UPLOAD_MESSAGES,
    D,
    T,
    bad_upload,
    dense_only_model,
    make_model,
    save_bytes,
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.keras"
    path.write_bytes(save_bytes(make_model("functional", 2)))
    return path


def test_convert_writes_a_model_that_reloads_and_predicts(model_file: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "out.keras"
    code, out, err = run(["convert", str(model_file), str(out_path), "--merge-mode", "sum"])
    assert code == 0, err
    assert "lstm_1 → bi_lstm_1" in out and "gru_2 → bi_gru_2" in out
    assert "forward ← original, backward new" in out
    # What it wrote, it first loaded back and ran.
    assert (
        f"loaded back with safe_mode=True, and predicted a batch of (2, {T}, {D}) → (2, 2)" in out
    )
    converted = load_model_file(out_path)
    assert [type(layer).__name__ for layer in converted.layers[1:]] == ["Bidirectional"] * 2 + [
        "Dense"
    ]
    assert converted.get_layer("bi_lstm_1").merge_mode == "sum"
    batch = np.zeros((4, T, D), dtype="float32")
    assert converted.predict(batch, verbose=0).shape == (4, 2)


def test_convert_chosen_layers_without_warm_start(model_file: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "out.keras"
    code, out, _ = run(
        ["convert", str(model_file), str(out_path), "--layers", "gru_2", "--no-warm-start"]
    )
    assert code == 0
    assert "gru_2 → bi_gru_2" in out and "new (warm start off)" in out
    assert "bi_lstm_1" not in out
    original, converted = load_model_file(model_file), load_model_file(out_path)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(
            original.get_layer("lstm_1").get_weights(),
            converted.get_layer("lstm_1").get_weights(),
            strict=True,
        )
    )
    assert "Freshly initialised — retrain these: bi_gru_2, head" in out


def test_inspect_prints_the_layer_table(model_file: Path) -> None:
    code, out, _ = run(["inspect", str(model_file)])
    model = make_model("functional", 2)
    assert code == 0
    for layer in model.layers[1:]:
        assert layer.name in out
        assert f"{layer.count_params():,}" in out
    assert "(None, 5, 4)" in out and f"total params: {model.count_params():,}" in out


@pytest.mark.parametrize("kind", list(BAD_UPLOAD_MESSAGES))
@pytest.mark.parametrize("command", ["convert", "inspect"])
def test_bad_files_give_one_line_and_exit_2(kind: str, command: str, tmp_path: Path) -> None:
    if command == "inspect" and kind == "no_recurrent":
        pytest.skip("inspect shows any model Keras can load (see the test below)")
    path = tmp_path / "bad.keras"
    if kind == "oversized":
        with open(path, "wb") as handle:  # sparse file: the size check comes before reading
            handle.truncate(len(bad_upload(kind)))
    else:
        path.write_bytes(bad_upload(kind))
    argv = [command, str(path)] + ([str(tmp_path / "out.keras")] if command == "convert" else [])
    code, out, err = run(argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("bilstm_lab: error: ")
    assert __import__("re").search(BAD_UPLOAD_MESSAGES[kind], err), err
    assert not (tmp_path / "out.keras").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--layers", "nope"], "received nope"),
        (["--merge-mode", "max"], "invalid choice"),
        (["--merge-mode", "none"], "merge_mode none"),
    ],
)
def test_bad_options_give_one_line(
    model_file: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    code, out, err = run(["convert", str(model_file), str(tmp_path / "o.keras"), *extra])
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_output_must_be_keras_and_not_the_input(model_file: Path, tmp_path: Path) -> None:
    assert run(["convert", str(model_file), str(tmp_path / "o.h5")])[0] == 2
    code, _, err = run(["convert", str(model_file), str(model_file)])
    assert code == 2 and "refusing to overwrite" in err


def test_real_process_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.keras"
    bad.write_bytes(bad_upload("lambda"))
    result = subprocess.run(
        [sys.executable, "-m", "bilstm_lab", "convert", str(bad), str(tmp_path / "o.keras")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("bilstm_lab: error: ")
    assert "Lambda" in result.stderr and result.stdout == ""


def _file(tmp_path: Path, model: keras.Model, name: str = "in.keras") -> Path:
    path = tmp_path / name
    path.write_bytes(save_bytes(model))
    return path


def test_inspect_shows_a_model_without_recurrent_layers(tmp_path: Path) -> None:
    code, out, err = run(["inspect", str(_file(tmp_path, dense_only_model()))])
    assert code == 0, err
    assert "head" in out and "total params: 8" in out


@pytest.mark.parametrize("key", list(gallery.PATTERNS))
def test_inspect_prints_a_table_for_every_gallery_model(key: str, tmp_path: Path) -> None:
    path = _file(tmp_path, gallery.PATTERNS[key]())
    code, out, err = run(["inspect", str(path)])
    assert code == 0, err
    assert "\x1b" not in out and "Traceback" not in out
    model = load_model_file(path, recurrent_only=False)
    lines = out.splitlines()
    for entry in walk_layers(model):
        # Each layer on its own line, indented by its depth, with Keras's own count.
        params = f"{entry.layer.count_params():,}" if entry.layer.built else "0 (unbuilt)"
        pattern = rf"^{'  ' * entry.depth}{re.escape(entry.path)}\s.*\s{re.escape(params)}$"
        assert any(re.match(pattern, line) for line in lines), (pattern, out)
    total = f"{model.count_params():,}" if model.built else "0 (unbuilt)"
    assert f"total params: {total}" in out


def test_inspect_says_what_keras_says(tmp_path: Path) -> None:
    unbuilt = run(["inspect", str(_file(tmp_path, gallery.unbuilt_sequential(), "u.keras"))])[1]
    assert explain.UNBUILT_MODEL in unbuilt and "?" in unbuilt
    shared = run(["inspect", str(_file(tmp_path, gallery.shared_layer(), "s.keras"))])[1]
    assert explain.shared_layer("shared_lstm", 2) in shared
    cells = run(["inspect", str(_file(tmp_path, gallery.rnn_cells(), "r.keras"))])[1]
    assert "RNN(LSTMCell)" in cells and "RNN(GRUCell)" in cells
    nested = run(["inspect", str(_file(tmp_path, gallery.nested_sequential(), "n.keras"))])[1]
    assert re.search(r"^  encoder/lstm\s+LSTM\s", nested, re.MULTILINE), nested
    tagger = run(["inspect", str(_file(tmp_path, gallery.tagger_time_distributed(), "t.keras"))])
    assert "TimeDistributed(Dense)" in tagger[1]


def test_convert_unwraps(tmp_path: Path) -> None:
    model = to_bidirectional(make_model("functional", 2), merge_mode="ave").model
    out_path = tmp_path / "uni.keras"
    code, out, err = run(["convert", str(_file(tmp_path, model)), str(out_path), "--unwrap"])
    assert code == 0, err
    assert "bi_lstm_1 → lstm_1" in out and "forward kept, backward dropped" in out
    assert "give the original forward direction's output" in out
    original = make_model("functional", 2)
    batch = np.random.default_rng(2).normal(size=(2, T, D)).astype("float32")
    np.testing.assert_allclose(
        load_model_file(out_path).predict(batch, verbose=0),
        original.predict(batch, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("option", [["--merge-mode", "sum"], ["--no-warm-start"]])
def test_unwrap_refuses_wrapping_options(option: list[str], tmp_path: Path) -> None:
    source = _file(tmp_path, make_model("functional", 1))
    code, out, err = run(["convert", str(source), str(tmp_path / "o.keras"), "--unwrap", *option])
    assert code == 2 and out == "" and "only applies when wrapping" in err
    assert err.count("\n") == 1


def test_convert_names_a_nested_layer_by_its_path(tmp_path: Path) -> None:
    out_path = tmp_path / "out.keras"
    source = _file(tmp_path, gallery.nested_sequential())
    code, out, err = run(["convert", str(source), str(out_path), "--layers", "encoder/lstm"])
    assert code == 0, err
    assert "encoder/lstm → encoder/bi_lstm" in out
    # The wrapper's backward half is new, and the layer reading its widened output; the head's
    # input width did not change.
    assert "Freshly initialised — retrain these: the backward half of encoder/bi_lstm, top\n" in out
    converted = load_model_file(out_path)
    assert type(layer_at(converted, "encoder/bi_lstm")).__name__ == "Bidirectional"
    assert layer_at(converted, "top").count_params() == 4 * 4 * (12 + 4 + 1)  # input 2 × 6


def test_convert_twice_one_layer_at_a_time(tmp_path: Path) -> None:
    first, second = tmp_path / "first.keras", tmp_path / "second.keras"
    source = _file(tmp_path, gallery.stacked())
    assert run(["convert", str(source), str(first), "--layers", "lstm_1"])[0] == 0
    code, out, err = run(["convert", str(first), str(second), "--layers", "lstm_2"])
    assert code == 0, err
    # lstm_2 was new after the first step; now it warm-starts from that, and the head widens.
    assert "lstm_2 → bi_lstm_2" in out and "forward ← original, backward new" in out
    assert "Freshly initialised — retrain these: the backward half of bi_lstm_2, head\n" in out
    batch = np.random.default_rng(3).normal(size=(2, gallery.T, 3)).astype("float32")
    assert load_model_file(second).predict(batch, verbose=0).shape == (2, 2)


def test_a_failed_check_exits_1_and_writes_nothing(
    model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> tuple[ForwardCheck, ...]:
        return (ForwardCheck("bi_lstm_1", 1, "output", 0.5),)

    monkeypatch.setattr(conversion_check, "forward_checks", broken)
    out_path = tmp_path / "out.keras"
    code, out, err = run(["convert", str(model_file), str(out_path)])
    assert code == 1 and out == "" and not out_path.exists()
    assert err.count("\n") == 1
    assert err.startswith("bilstm_lab: error: the converted model failed its check")
    assert "forward half of 'bi_lstm_1' differs from the original layer's output by 0.5" in err


@pytest.mark.parametrize(
    ("build", "argv", "message"),
    [
        (gallery.go_backwards, [], "already reads the sequence backwards (go_backwards=True)"),
        (gallery.encoder_decoder, [], "layer 'encoder' returns its states (return_state=True)"),
        (gallery.unbuilt_sequential, [], "no defined input shape (an unbuilt Sequential"),
        (gallery.tagger_time_distributed, ["--merge-mode", "none"], "merge_mode none returns"),
    ],
    ids=["go_backwards", "return_state", "unbuilt", "merge_none"],
)
def test_refusals_are_one_line_in_the_labs_words(
    build: object, argv: list[str], message: str, tmp_path: Path
) -> None:
    source = _file(tmp_path, build())  # type: ignore[operator]
    code, out, err = run(["convert", str(source), str(tmp_path / "o.keras"), *argv])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o.keras").exists()


def test_no_ansi_codes_reach_the_terminal(tmp_path: Path) -> None:
    inputs = keras.Input((T, D), name="x")
    lstm = keras.layers.LSTM(2, name="red\x1b[31mlstm\x1b[0m")
    source = _file(tmp_path, keras.Model(inputs, lstm(inputs), name="coloured"))
    code, _, err = run(["convert", str(source), str(tmp_path / "o.keras"), "--layers", "nope"])
    assert code == 2 and "\x1b" not in err and "redlstm" in err


def test_compile_settings_survive_conversion(tmp_path: Path) -> None:
    out_path = tmp_path / "uni.keras"
    source = _file(tmp_path, gallery.imdb_bidirectional())
    code, out, err = run(["convert", str(source), str(out_path), "--unwrap"])
    assert code == 0, err
    assert (
        "Compile settings kept: optimizer Adam (learning rate 0.001), loss binary_crossentropy, "
        "metrics accuracy." in out
    )
    restored = keras.saving.load_model(out_path)  # compile=True, as the tutorial reloads it
    assert restored.compiled and restored.loss == "binary_crossentropy"
