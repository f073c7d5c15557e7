"""The Convert page's worker jobs, run in-process, and the plain data they hand to the server.

`bilstm_lab.models.upload_jobs` is called here directly (``report``/``should_stop`` stubs);
the page tests run the same functions in real worker processes. What the jobs return must
cross to the server without bringing TensorFlow with it, and every number must be real Keras's.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from bilstm_lab.core.conversion import (
    WARM_STARTED,
    CompileFate,
    ConvertRequest,
    ConvertResult,
    Direction,
)
from bilstm_lab.core.errors import ConversionError, SpecError, UploadError
from bilstm_lab.core.model_info import EXAMPLE_TITLES, InspectRequest, ModelInfo
from bilstm_lab.models.convert import convert_and_check, to_bidirectional
from bilstm_lab.models.examples import EXAMPLES, build_example
from bilstm_lab.models.introspect import RECURRENT_TYPES, model_info
from bilstm_lab.models.model_io import load_model_bytes
from bilstm_lab.models.upload_jobs import convert_upload, example_model, inspect_upload
from bilstm_lab.render.model_graph import Role, model_dot
from bilstm_lab.workers.jobs import JOBS
from bilstm_lab.workers.worker import _error_message, dumps, loads, resolve
from tests.conftest import ROOT
from tests.helpers_models import (
    BAD_UPLOAD_MESSAGES,
    D,
    T,
    bad_upload,
    make_model,
    save_bytes,
)


def _report(_: object) -> None:
    return None


def _never() -> bool:
    return False


def _convert(data: bytes, direction: Direction = Direction.WRAP, **options: Any) -> ConvertResult:
    return convert_upload(ConvertRequest(data, "mine.keras", direction, **options), _report, _never)


def test_jobs_are_registered_by_name() -> None:
    for name, function in [
        ("inspect_upload", inspect_upload),
        ("example_model", example_model),
        ("convert_upload", convert_upload),
    ]:
        assert resolve(JOBS[name]) is function


def test_recurrent_types_come_from_the_builder() -> None:
    assert set(RECURRENT_TYPES) == {"LSTM", "GRU", "SimpleRNN"}


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_inspect_upload_matches_real_keras(kind: str) -> None:
    model = make_model(kind, 3)
    info = inspect_upload(InspectRequest(save_bytes(model), "m.keras"), _report, _never)
    assert isinstance(info, ModelInfo)
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    assert [row.name for row in info.layers] == [layer.name for layer in layers]
    assert [row.params for row in info.layers] == [layer.count_params() for layer in layers]
    assert [row.output_shapes[0] for row in info.layers] == [
        tuple(layer.output.shape) for layer in layers
    ]
    assert info.total_params == model.count_params()
    assert info.recurrent == ("lstm_1", "gru_2", "rnn_3") and info.bidirectional == ()
    # The graph: input -> lstm_1 -> gru_2 -> rnn_3 -> head, each arrow once, with its shape.
    assert [(e.source, e.target, e.shape) for e in info.edges] == [
        ("x", "lstm_1", (None, T, D)),
        ("lstm_1", "gru_2", (None, T, 4)),
        ("gru_2", "rnn_3", (None, T, 3)),
        ("rnn_3", "head", (None, 5)),
    ]
    assert info.nodes[0].kind == "InputLayer"
    assert f"total params: {model.count_params():,}" in info.to_text()


@pytest.mark.parametrize("kind", list(BAD_UPLOAD_MESSAGES))
def test_inspect_upload_refuses_bad_files_with_an_error_the_server_can_read(kind: str) -> None:
    with pytest.raises(UploadError, match=BAD_UPLOAD_MESSAGES[kind]) as caught:
        inspect_upload(InspectRequest(bad_upload(kind), "bad.keras"), _report, _never)
    # What the worker sends back: the exception itself, type and message intact.
    message = _error_message(1, caught.value)
    assert message[2] is not None
    back = loads(message[2])
    assert type(back) is type(caught.value) and str(back) == str(caught.value)
    assert back.field == "file"


@pytest.mark.parametrize("key", list(EXAMPLE_TITLES))
def test_example_model_job_returns_the_example_as_a_file(key: str) -> None:
    example = example_model(key, _report, _never)
    assert example.key == key and example.title == EXAMPLE_TITLES[key]
    built, loaded = build_example(key), load_model_bytes(example.data)
    assert loaded.count_params() == built.count_params() == example.info.total_params
    assert [w.tolist() for w in loaded.get_weights()] == [w.tolist() for w in built.get_weights()]
    assert example.info.recurrent and "seed" not in example.title.lower()


def test_example_titles_and_builders_agree() -> None:
    assert [example.key for example in EXAMPLES] == list(EXAMPLE_TITLES)
    with pytest.raises(SpecError, match="example must be one of"):
        example_model("nope", _report, _never)


def test_convert_upload_gives_checked_bytes_report_and_graph() -> None:
    model = make_model("functional", 2)
    result = _convert(save_bytes(model), layers=("lstm_1", "gru_2"), merge_mode="sum")
    expected = to_bidirectional(model, merge_mode="sum").report
    assert result.report == expected
    check = result.check
    assert (check.size_bytes, check.batch_shapes, check.output_shapes) == (
        len(result.data),
        ((2, T, D),),
        ((2, 2),),
    )
    # Both layers warm-started; under sum only their forward layers can be compared.
    assert {(c.layer, c.part) for c in check.forward_checks} == {
        ("bi_lstm_1", "forward_layer"),
        ("bi_gru_2", "forward_layer"),
    }
    assert all(c.difference <= 1e-6 for c in check.forward_checks)
    assert check.kept_checked == 3  # the two forward layers and the head (sum keeps its width)
    reloaded = load_model_bytes(result.data)
    assert reloaded.count_params() == expected.params_after
    info = result.info
    assert info.bidirectional == ("bi_lstm_1", "bi_gru_2") and info.recurrent == ()
    assert [(e.source, e.target) for e in info.edges] == [
        ("x", "bi_lstm_1"),
        ("bi_lstm_1", "bi_gru_2"),
        ("bi_gru_2", "head"),
    ]
    assert [row.params for row in info.layers] == [row.params_after for row in expected.rows]


def test_convert_upload_unwraps() -> None:
    model = make_model("sequential", 2)
    wrapped = to_bidirectional(model, merge_mode="ave").model
    result = _convert(save_bytes(wrapped), Direction.UNWRAP)
    assert result.info.recurrent == ("lstm_1", "gru_2")
    restored = load_model_bytes(result.data)
    batch = np.random.default_rng(1).normal(size=(2, T, D)).astype("float32")
    np.testing.assert_allclose(
        restored.predict(batch, verbose=0), model.predict(batch, verbose=0), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("reloaded", [False, True], ids=["in-memory", "reloaded"])
def test_convert_and_check_runs_every_output(reloaded: bool) -> None:
    model = make_model("functional", 2, head=False, last_sequences=True)
    if reloaded:  # what a worker converts: the model rebuilt from the file
        model = load_model_bytes(save_bytes(model))
    checked = convert_and_check(model, "wrap", ["gru_2"], merge_mode="none")
    assert checked.check.output_shapes == ((2, T, 3), (2, T, 3))  # forward, backward
    assert checked.conversion.report.rows[1].weights == WARM_STARTED
    assert [tuple(o.shape) for o in checked.reloaded.outputs] == [(None, T, 3), (None, T, 3)]


def test_convert_and_check_gives_a_free_time_axis_a_size() -> None:
    inputs = keras.Input((None, 3), name="x")
    lstm = keras.layers.LSTM(
        4, name="lstm_1", kernel_initializer=keras.initializers.GlorotUniform(seed=1)
    )
    checked = convert_and_check(keras.Model(inputs, lstm(inputs), name="free"))
    assert checked.check.batch_shapes == ((2, 4, 3),)
    assert checked.check.output_shapes == ((2, 8),)


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        ({"layers": ("lstm_1",), "merge_mode": "none"}, "merge_mode none returns two tensors"),
        ({"layers": ("nope",)}, "received nope"),
        ({"merge_mode": "max"}, "merge_mode must be one of"),
        ({"direction": "sideways"}, "direction must be one of"),
    ],
)
def test_convert_upload_refusals_are_conversion_errors(
    options: dict[str, Any], pattern: str
) -> None:
    data = save_bytes(make_model("functional", 2))
    direction = options.pop("direction", Direction.WRAP)
    with pytest.raises(ConversionError, match=pattern) as caught:
        _convert(data, direction, **options)
    back = loads(_error_message(1, caught.value)[2])
    assert type(back) is ConversionError and str(back) == str(caught.value)


def test_results_unpickle_in_a_process_without_tensorflow(tmp_path: Path) -> None:
    model = make_model("sequential", 2)
    data = save_bytes(model)
    blobs = {
        "info": dumps(inspect_upload(InspectRequest(data, "m.keras"), _report, _never)),
        "example": dumps(example_model("gru-tagger", _report, _never)),
        "result": dumps(_convert(data)),
    }
    path = tmp_path / "blobs.pickle"
    path.write_bytes(pickle.dumps(blobs))
    code = (
        "import pickle, sys; from bilstm_lab.workers.worker import loads; "
        f"blobs = pickle.loads(open({str(path)!r}, 'rb').read()); "
        "objs = {k: loads(v) for k, v in blobs.items()}; "
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "assert not bad, bad; "
        "print(objs['result'].report.params_after, objs['info'].name, objs['example'].key)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    expected = to_bidirectional(model).report.params_after
    assert out.stdout.split() == [str(expected), "seq_model", "gru-tagger"]


def test_diagram_colours_and_escapes_user_names() -> None:
    inputs = keras.Input((T, D), name='in"put')
    x = keras.layers.LSTM(4, return_sequences=True, name='evil"];x->y[label="')(inputs)
    x = keras.layers.LSTM(2, name="back\\slash")(x)
    model = keras.Model(inputs, x, name="m")
    info = model_info(model)
    roles = {"back\\slash": Role.KEPT, 'evil"];x->y[label="': Role.FRESH}
    dot = model_dot(info, roles)
    # Every quote inside a name is neutralised: the quoted strings pair up on every line.
    for line in dot.splitlines():
        assert line.count('"') % 2 == 0, line
    assert "evil'];x->y[label='" in dot and "back/slash" in dot
    assert re.search(r'"back/slash" \[label="[^"]*", fillcolor="#c7e9c0"\]', dot)
    assert re.search(r'"evil[^"]*" \[label="[^"]*", fillcolor="#fdd9a0"\]', dot)
    assert '"in\'put" -> "evil\'];x->y[label=\'" [label=" (None, 5, 3)"];' in dot


def test_convert_upload_keeps_the_files_compile_settings(tmp_path: Path) -> None:
    model = make_model("functional", 1)
    model.compile("rmsprop", "mse", metrics=["mae"])
    result = _convert(save_bytes(model))
    settings = result.report.compile
    assert (settings.fate, settings.optimizer, settings.loss) == (
        CompileFate.KEPT,
        "RMSprop",
        ("mse",),
    )
    path = tmp_path / "converted.keras"
    path.write_bytes(result.data)
    restored = keras.saving.load_model(path)  # compile=True, as users load it
    assert restored.compiled and type(restored.optimizer).__name__ == "RMSprop"


def test_convert_upload_converts_inside_nested_models() -> None:
    from tests.gallery_models import nested_sequential

    result = _convert(save_bytes(nested_sequential()), layers=("encoder/lstm",))
    assert result.info.bidirectional == ("encoder/bi_lstm",)
    assert result.info.recurrent == ("top",)
    assert [row.after for row in result.report.rows if row.fresh] == ["top"]
