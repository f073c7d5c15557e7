"""The Convert page, run headless with `streamlit.testing.v1.AppTest`.

A built-in example and an uploaded model convert, show the report and offer a download that
loads back; every bad upload gives its one clear message and never an exception. The page's
Keras work runs in real worker processes (`bilstm_lab.ui.pool.worker_pool`); this test process
imports Keras only to build inputs and check results.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.model_info import EXAMPLE_TITLES
from bilstm_lab.models.convert import to_bidirectional
from bilstm_lab.models.examples import build_example
from bilstm_lab.models.introspect import model_info
from bilstm_lab.models.model_io import load_model_bytes
from bilstm_lab.render.model_graph import model_dot
from bilstm_lab.ui.convert import SOURCE_UPLOAD, ConvertedModel
from bilstm_lab.ui.downloads import MODEL_GRAPH_KEY
from bilstm_lab.workers.errors import JobError, WorkerLost
from bilstm_lab.workers.worker import dumps
from tests.conftest import ROOT
from tests.helpers_models import BAD_UPLOAD_MESSAGES, bad_upload, make_model, save_bytes

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "convert.py")
TIMEOUT = 300  # seconds: the first job waits for a worker to import TensorFlow; shared machine


def _app(example: str = "gru-tagger") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["convert_example"] = example  # the small example: cheap first run
    return at


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.session_state["convert_source"] = SOURCE_UPLOAD
    at.run()
    at.file_uploader(key="convert_upload").upload(name, data, "application/octet-stream")
    return at.run()


def _text(at: AppTest) -> str:
    return "\n".join(str(element.value) for element in [*at.markdown, *at.caption, *at.success])


def test_example_converts_and_offers_a_download() -> None:
    at = _app().run()
    assert not at.exception and not at.error
    expected = to_bidirectional(build_example("gru-tagger"), merge_mode="concat").report
    assert [m.value for m in at.metric][:2] == [
        fmt(expected.params_before),
        fmt(expected.params_after),
    ]
    report = at.dataframe[0].value
    assert isinstance(report, pd.DataFrame)
    assert list(report["weights"]) == [row.weights for row in expected.rows]
    # Every layer with new weights, and which part: bi_gru_1 keeps its forward half only.
    assert at.warning[0].value == expected.retrain_note(markdown=True)
    assert at.warning[0].value == (
        "Freshly initialised — retrain these: the backward half of `bi_gru_1`, `bi_gru_2`, `dense`"
    )
    assert [m.value for m in at.metric][2] == "3"  # layers to retrain
    # The key of the diagrams' colours, above them, says what each colour means.
    key = next(m.value for m in at.markdown if m.value.startswith(explain.CONVERT_KEY_TITLE))
    for role in ("unchanged", "backward", "fresh"):
        assert explain.CONVERT_KEY[role] in key
    assert explain.CONVERT_KEY["kept"] not in key  # no converted layer kept all its weights
    # The converted .keras, and each graph as SVG and PNG (drawn only when clicked).
    ids = [button.proto.id for button in at.get("download_button")]
    assert len(ids) == 5
    for stage, kind in itertools.product(("before", "after"), ("svg", "png")):
        assert any(i.endswith(MODEL_GRAPH_KEY.format(stage=stage, kind=kind)) for i in ids)
    result = at.session_state["convert_result"]
    assert isinstance(result, ConvertedModel)
    reloaded = load_model_bytes(result.data, "download.keras")
    assert reloaded.count_params() == expected.params_after
    assert "predicted a batch of (2, 12, 6) → (2, 12, 3)" in at.success[0].value
    assert at.success[0].icon == ":material/check_circle:"
    # Only plain data in the session: the server-safe pickler refuses anything from Keras.
    dumps(result)
    dumps(at.session_state["convert_loaded"])


def test_a_locked_link_names_the_example_it_shows() -> None:
    # ?lock=1 hides the example picker, so the page says which model it converted.
    title = EXAMPLE_TITLES["gru-tagger"]
    locked = _app()
    locked.query_params["lock"] = "1"
    locked.run()
    assert not locked.exception and not locked.error
    assert explain.converted_model_name(title) in [m.value for m in locked.markdown]
    assert len(locked.get("download_button")) == 1  # the .keras only: no slide downloads
    assert explain.converted_model_name(title) not in [m.value for m in _app().run().markdown]


def test_presenter_mode_enlarges_the_diagram_text() -> None:
    at = _app()
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception and not at.error
    sizes = {
        tuple(re.findall(r"fontsize=(\d+)\]", chart.proto.spec))
        for chart in at.get("graphviz_chart")
    }
    assert sizes == {("18", "16")}  # 13 pt and 12 pt, times the presenter scale 1.35


def test_options_change_the_conversion() -> None:
    at = _app().run()
    at.multiselect(key="convert_layers:example:gru-tagger:LSTM → BiLSTM (wrap)").set_value(
        ["gru_2"]
    )
    at.selectbox(key="convert_merge").set_value("sum")
    at.toggle(key="convert_warm").set_value(False)
    at.run()
    assert not at.exception and not at.error
    report = at.dataframe[0].value
    assert list(report["weights"]) == ["kept", "new (warm start off)", "kept"]
    assert not at.warning or "dense" not in at.warning[0].value


def test_uploaded_model_converts() -> None:
    model = make_model("functional", 2)
    at = _upload(_app(), "mine.keras", save_bytes(model))
    assert not at.exception and not at.error
    report = at.dataframe[0].value
    assert list(report["layer"]) == ["lstm_1 → bi_lstm_1", "gru_2 → bi_gru_2", "head"]
    assert "predicted a batch of (2, 5, 3) → (2, 2)" in at.success[0].value


def test_merge_none_in_the_middle_is_a_message() -> None:
    at = _app().run()
    at.selectbox(key="convert_merge").set_value("none").run()
    assert not at.exception
    assert "merge_mode none returns two tensors" in at.error[0].value


@pytest.mark.parametrize("kind", list(BAD_UPLOAD_MESSAGES))
def test_bad_uploads_give_their_message(kind: str) -> None:
    at = _upload(_app(), "bad.keras", bad_upload(kind))
    assert not at.exception
    assert len(at.error) == 1
    assert re.search(BAD_UPLOAD_MESSAGES[kind], at.error[0].value), at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert not at.get("download_button")
    assert "convert_result" not in at.session_state


def test_diagram_draws_each_edge_once_for_a_reloaded_sequential() -> None:
    model = load_model_bytes(save_bytes(make_model("sequential", 2)))
    dot = model_dot(model_info(model))
    assert dot.count('"x" -> "lstm_1"') == 1
    assert dot.count('"lstm_1" -> "gru_2"') == 1
    assert dot.count('"gru_2" -> "head"') == 1


def test_model_with_a_free_time_axis_converts() -> None:
    import keras

    inputs = keras.Input((None, 3), name="x")
    lstm = keras.layers.LSTM(
        4, name="lstm_1", kernel_initializer=keras.initializers.GlorotUniform(seed=1)
    )
    model = keras.Model(inputs, lstm(inputs), name="free_time")
    at = _upload(_app(), "free.keras", save_bytes(model))
    assert not at.exception and not at.error
    assert "predicted a batch of (2, 4, 3) → (2, 8)" in at.success[0].value


def test_names_from_the_file_cannot_inject_markdown() -> None:
    import keras

    inputs = keras.Input((5, 3), name="x")
    outputs = keras.layers.Dense(2, name="head")(inputs)
    model = keras.Model(inputs, outputs, name="![pic](https:example.invalid)")
    at = _upload(_app(), "[click](http://example.invalid).keras", save_bytes(model))
    assert not at.exception and len(at.error) == 1
    message = at.error[0].value
    assert "has no LSTM, GRU, SimpleRNN or Bidirectional layer" in message
    assert "](https" not in message.replace("\\]", "")  # every bracket escaped
    assert "[click]" not in message


def test_uploaded_bidirectional_model_unwraps() -> None:
    model = to_bidirectional(make_model("functional", 2), merge_mode="sum").model
    at = _upload(_app(), "bi.keras", save_bytes(model))
    at.radio(key="convert_direction").set_value("BiLSTM → LSTM (unwrap)").run()
    assert not at.exception and not at.error
    report = at.dataframe[0].value
    assert list(report["layer"]) == ["bi_lstm_1 → lstm_1", "bi_gru_2 → gru_2", "head"]
    assert list(report["weights"]) == ["forward kept, backward dropped"] * 2 + ["kept"]
    result = at.session_state["convert_result"]
    assert (
        load_model_bytes(result.data).count_params() == make_model("functional", 2).count_params()
    )


def test_diagram_labels_break_lines_and_escape_quotes() -> None:
    dot = model_dot(model_info(make_model("functional", 1)))
    assert '[label="lstm_1\\nLSTM\\n128 params"' in dot
    assert "/n" not in dot


def test_the_page_module_does_not_import_tensorflow() -> None:
    code = (
        "import bilstm_lab.ui.convert, sys; assert 'tensorflow' not in sys.modules; "
        "assert 'keras' not in sys.modules, 'keras'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


class _FailingPool:
    """Stands in for the worker pool: every job fails with ``error``; counts submissions."""

    def __init__(self, error: BaseException) -> None:
        self.error, self.submitted = error, 0

    def submit(self, job: str, payload: object = None) -> _FailingPool:
        self.submitted += 1
        return self

    def wait(self, timeout: float | None = None) -> object:
        raise self.error


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            WorkerLost("job 7 (example_model): worker process 1 ended while running it"),
            "Loading the model was interrupted (its worker process stopped)",
        ),
        (JobError("MemoryError", ""), "the model could not be processed: MemoryError"),
    ],
    ids=["worker-lost", "unreadable-error"],
)
def test_a_failed_job_is_one_message_and_the_page_recovers(
    monkeypatch: pytest.MonkeyPatch, error: BaseException, message: str
) -> None:
    from bilstm_lab.ui import convert

    pool = _FailingPool(error)
    monkeypatch.setattr(convert, "worker_pool", lambda: pool)
    at = _app().run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value, at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert "convert_loaded" not in at.session_state and not at.get("download_button")
    at.run()  # a rerun shows the message again without sending the same job again
    assert pool.submitted == 1 and message in at.error[0].value
    monkeypatch.undo()  # the real pool again
    if isinstance(error, WorkerLost):
        at.button(key="convert_retry").click().run()
    else:  # choosing another source is a fresh start
        at.selectbox(key="convert_example").set_value("stacked-classifier").run()
    assert not at.exception and not at.error
    assert "loaded back with safe_mode=True" in at.success[0].value


class _ConvertFails:
    """The real worker pool, except that every conversion fails its check."""

    def __init__(self, pool: object, error: BaseException) -> None:
        self.pool, self.error = pool, error

    def submit(self, job: str, payload: object = None) -> object:
        if job == "convert_upload":
            return _FailingPool(self.error)
        return self.pool.submit(job, payload)  # type: ignore[attr-defined]


def test_a_conversion_that_fails_its_check_is_an_error_without_download(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bilstm_lab.core import explain
    from bilstm_lab.core.errors import ConversionCheckFailed
    from bilstm_lab.ui import convert

    reason = explain.check_forward_mismatch("bi_gru_1", 0.5, 1e-5)
    error = ConversionCheckFailed(explain.check_failed(reason))
    real = convert.worker_pool()
    monkeypatch.setattr(convert, "worker_pool", lambda: _ConvertFails(real, error))
    at = _app().run()
    assert not at.exception and len(at.error) == 1
    assert "failed its check and was not written" in at.error[0].value
    assert "differs from the original layer's output by 0.5" in at.error[0].value
    assert not at.get("download_button") and "convert_result" not in at.session_state


def test_nested_layers_are_offered_by_path_and_compile_settings_reported() -> None:
    from tests.gallery_models import nested_sequential

    model = nested_sequential()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    at = _upload(_app(), "nested.keras", save_bytes(model))
    assert not at.exception and not at.error
    key = "convert_layers:" + at.session_state["convert_loaded"].key + ":LSTM → BiLSTM (wrap)"
    assert at.multiselect(key=key).options == ["encoder/lstm", "top"]
    report = at.dataframe[0].value
    assert list(report["layer"])[:2] == ["encoder/embedding", "encoder/lstm → encoder/bi_lstm"]
    assert "Forward half checked on the same batch" in at.success[0].value
    assert any("Compile settings kept: optimizer Adam" in c.value for c in at.caption)
