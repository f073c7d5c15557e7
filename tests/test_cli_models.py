"""The ``convert`` and ``inspect`` sub-commands: reports, saved files, one-line errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from bilstm_lab.cli.main import main
from bilstm_lab.models.model_io import load_model_file
from tests.conftest import ROOT
from tests.helpers_models import BAD_UPLOAD_MESSAGES, D, T, bad_upload, make_model, save_bytes


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
    assert "Freshly initialised (retrain them): bi_gru_2, head" in out


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
