"""`python -m bilstm_lab summary`: the table, the exact JSON, --verify, and bad flags (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bilstm_lab.cli.main import main
from bilstm_lab.core import explain
from bilstm_lab.core.analysis import compare
from bilstm_lab.core.presets import PRESETS, get_preset
from bilstm_lab.core.spec import DenseHead, FeatureInput, ModelSpec, TokenInput
from tests.conftest import ROOT


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_is_exactly_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "summary", "--units", "64,32", "--vocab", "1000", "--embedding-dim", "16",
                           "--seq-len", "12", "--dense", "3", "--no-return-sequences", "--json")  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"unidirectional", "bidirectional"}
    spec = ModelSpec(
        units=(64, 32), return_sequences=False, input=TokenInput(12, 1000, 16), head=DenseHead(3)
    )
    comparison = compare(spec)
    for key, variant in (("unidirectional", comparison.uni), ("bidirectional", comparison.bi)):
        value = payload[key]
        assert set(value) == {"layers", "total_params", "torch_params"}
        assert value["total_params"] == variant.total_params
        assert value["torch_params"] == variant.torch_params
        assert [set(layer) for layer in value["layers"]] == [
            {"name", "type", "output_shape", "params", "formula"}
        ] * 4
        assert value["layers"][0]["output_shape"] == [None, 12, 16]
        assert [layer["params"] for layer in value["layers"]] == [
            row.params for row in variant.layers
        ]
        assert "InputLayer" not in {layer["type"] for layer in value["layers"]}


def test_json_multi_output_shapes_are_lists_of_lists(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "summary",
        "--units",
        "8",
        "--return-state",
        "--batch",
        "4",
        "--features",
        "3",
        "--json",
    )
    assert code == 0
    shapes = json.loads(out)["bidirectional"]["layers"][0]["output_shape"]
    assert shapes == [[4, 10, 16], [4, 8], [4, 8], [4, 8], [4, 8]]


def test_table_shows_both_variants_totals_and_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "summary", "--preset", "stacked-classifier")
    assert code == 0
    comparison = compare(get_preset("stacked-classifier").spec)
    for text in ("LSTM output", "BiLSTM output", "1,342,154", "1,420,682", "3.32×", "2 × 4·32·(128+32+1) = 41,216",
                 "lstm_2 / bilstm_2", "PyTorch equivalent", f"{comparison.bi.torch_params:,}", "doubled for each layer"):  # fmt: skip
        assert text in out, text


def test_flags_override_the_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "summary", "--preset", "embedding-classifier", "--cell", "gru", "--json"
    )
    assert code == 0
    spec = ModelSpec(
        cell="gru",
        units=(64,),
        return_sequences=False,
        input=TokenInput(20, 10_000, 128),
        head=DenseHead(10),
    )
    assert json.loads(out)["bidirectional"]["total_params"] == compare(spec).bi.total_params


def test_features_flag_switches_a_token_preset_to_features(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(
        capsys, "summary", "--preset", "embedding-classifier", "--features", "7", "--json"
    )
    assert code == 0
    spec = ModelSpec(
        units=(64,), return_sequences=False, input=FeatureInput(20, 7), head=DenseHead(10)
    )
    assert json.loads(out)["unidirectional"]["total_params"] == compare(spec).uni.total_params


def test_presets_command_lists_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "presets")
    assert code == 0
    assert all(preset.key in out for preset in PRESETS)
    assert "seed" not in out.lower()  # the old keys still work, but are not listed


def test_an_old_preset_key_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    code, old, _ = run_cli(capsys, "summary", "--preset", "seed000-ex3")
    assert code == 0
    code, new, _ = run_cli(capsys, "summary", "--preset", "stacked-classifier")
    assert code == 0 and old == new
    assert (
        "Preset stacked-classifier: Stacked BiLSTM text classifier (64, 32 units) — from the article “How can I convert"
        in new
    )


BAD_ARGS = [
    (["summary", "--units", "0"], "units must be between 1 and 4096, received 0"),
    (["summary", "--units", "64,,32"], "units must be a comma-separated list"),
    (["summary", "--units", "abc"], "units must be a whole number, received 'abc'"),
    (["summary", "--units", "1,2,3,4,5,6,7"], "layers must be between 1 and 6, received 7"),
    (["summary", "--cell", "transformer"], "invalid choice: 'transformer'"),
    (["summary", "--merge-mode", "max"], "invalid choice: 'max'"),
    (
        ["summary", "--merge-mode", "none", "--units", "8,8"],
        "merge_mode none returns two separate tensors",
    ),
    (["summary", "--merge-mode", "none", "--dense", "3"], "cannot feed a Dense head"),
    (["summary", "--seq-len", "-3"], "seq_len must be"),
    (["summary", "--features", "0"], "features must be between 1 and 4096, received 0"),
    (["summary", "--features", "3", "--vocab", "10"], "not allowed with argument"),
    (["summary", "--vocab", "1"], "vocab must be between 2 and 200000, received 1"),
    (["summary", "--embedding-dim", "99999"], "embedding_dim must be between 1 and 1024"),
    (["summary", "--batch", "zero"], "batch must be a whole number, received 'zero'"),
    (["summary", "--dense", "0"], "dense must be between 1 and 10000, received 0"),
    (["summary", "--dense-activation", "gelu", "--dense", "2"], "invalid choice: 'gelu'"),
    (["summary", "--dense-activation", "relu"], "dense_activation needs dense"),
    (["summary", "--preset", "nope"], "preset must be one of"),
    (
        ["summary", "--no-reset-after"],
        "reset_after only exists on GRU (it says where the reset gate is applied); LSTM has no "
        "such option, received reset_after false with cell lstm",
    ),
    (["summary", "--seq-len", "any"], "seq_len must be a whole number, received 'any'"),
    (["summary", "--use-bias", "no"], "unrecognized arguments: no"),
    (["summary", "--bogus"], "unrecognized arguments: --bogus"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize(
    "argv, message", BAD_ARGS, ids=[" ".join(a) or "(none)" for a, _ in BAD_ARGS]
)
def test_bad_flags_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("bilstm_lab: error: ")
    assert message in err
    assert "Traceback" not in err


def _python_m(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bilstm_lab", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_module_entry_point_bad_flag_exit_code() -> None:
    result = _python_m("summary", "--units", "0")
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "bilstm_lab: error: units must be between 1 and 4096, received 0"
    )


@pytest.mark.parametrize("preset", ["stacked-classifier", "pytorch-classifier"])
def test_verify_confirms_the_table_against_keras(preset: str) -> None:
    result = _python_m("summary", "--preset", preset, "--verify")
    assert result.returncode == 0, result.stderr
    assert "Verified with Keras" in result.stdout
    assert "Traceback" not in result.stderr
    # The start-up chatter of TensorFlow's C++ runtime is kept out of the terminal.
    assert "oneDNN" not in result.stderr


def test_verify_reports_a_mismatch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prove --verify can fail: corrupt the analysis that the verifier compares with Keras.
    import dataclasses

    import bilstm_lab.models.verify as verify_module

    real_analyze = verify_module.analyze

    def off_by_one(spec: ModelSpec, bidirectional: bool):  # type: ignore[no-untyped-def]
        variant = real_analyze(spec, bidirectional)
        first = dataclasses.replace(variant.layers[0], params=variant.layers[0].params + 1)
        return dataclasses.replace(variant, layers=(first, *variant.layers[1:]))

    monkeypatch.setattr(verify_module, "analyze", off_by_one)
    code, out, _ = run_cli(capsys, "summary", "--units", "4", "--features", "2", "--verify")
    assert code == 1
    assert "numbers differ from Keras" in out and "params: analysis says" in out


def test_cell_option_flags_reach_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    # Keras's own LSTM(3, use_bias=False) on 4 features: 84 parameters (96 with a bias).
    code, out, _ = run_cli(capsys, "summary", "--units", "3", "--features", "4", "--no-use-bias",
                           "--seq-len", "none", "--json")  # fmt: skip
    assert code == 0
    uni = json.loads(out)["unidirectional"]
    assert uni["total_params"] == 84 and uni["torch_params"] == 84
    assert uni["layers"][0]["formula"] == "4·3·(4+3) = 84"
    assert uni["layers"][0]["output_shape"] == [None, None, 3]  # T = None: variable length
    assert "torch_note" not in uni  # a count, so nothing to explain


def test_reset_after_false_has_no_torch_count_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["summary", "--cell", "gru", "--units", "3", "--features", "4", "--no-reset-after"]
    code, out, _ = run_cli(capsys, *argv, "--json")
    assert code == 0
    spec = ModelSpec(cell="gru", units=(3,), reset_after=False, input=FeatureInput(10, 4))
    for key in ("unidirectional", "bidirectional"):
        variant = json.loads(out)[key]
        assert variant["torch_params"] is None
        assert variant["torch_note"] == explain.torch_difference(spec)
    assert json.loads(out)["unidirectional"]["total_params"] == 72
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    torch_row = next(line for line in out.splitlines() if line.startswith("PyTorch equivalent"))
    assert torch_row.split()[2:] == ["no", "equivalent", "no", "equivalent", "–"]
    assert "3·3·(4+3+1) = 72" in out
    assert explain.torch_difference(spec) in out


def test_a_token_input_of_any_length(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "summary", "--vocab", "50", "--embedding-dim", "4",
                           "--seq-len", "none", "--cell", "gru", "--reset-after", "--json")  # fmt: skip
    assert code == 0
    layers = json.loads(out)["bidirectional"]["layers"]
    assert [layer["output_shape"] for layer in layers] == [[None, None, 4], [None, None, 128]]
