"""The Training Lab page under `streamlit.testing.v1.AppTest`: Train, live progress, Stop, results.

Training runs as a job in a worker process, so the tests poll the page (``at.run()``) the way
the browser's fragment does, until the job has ended.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core.train_config import model_spec
from bilstm_lab.models.builder import build_model
from bilstm_lab.ui.pool import worker_pool
from bilstm_lab.ui.training import JOB_KEY, RESULT_KEY, RUNS_KEY
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "training_lab.py")
TIMEOUT = 120  # the first run starts the worker pool
BLOCKING_JOB = "tests.workers.jobs_for_tests:sleep_forever_until_stopped"


def _tiny(at: AppTest, epochs: int = 3, samples: int = 500) -> None:
    at.slider(key="tl_seq_len").set_value(8)
    at.slider(key="tl_k").set_value(2)
    at.slider(key="tl_vocab").set_value(4)
    at.select_slider(key="tl_samples").set_value(samples)
    at.select_slider(key="tl_units").set_value(16)
    at.slider(key="tl_epochs").set_value(epochs)
    at.select_slider(key="tl_lr").set_value(0.02)
    at.run()


def _poll_until_done(at: AppTest, limit: float = 150.0) -> None:
    deadline = time.monotonic() + limit
    while JOB_KEY in at.session_state and at.session_state[JOB_KEY].active:
        assert time.monotonic() < deadline, "training did not end"
        time.sleep(0.5)
        at.run()
    at.run()  # collect the finished job


def _charts(at: AppTest) -> dict[str, dict]:
    charts = {}
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        title = ""
        names = [trace.get("name", "") for trace in spec["data"]]
        if any("left-to-right" in name for name in names):
            title = "steps"
        elif any(trace["type"] == "heatmap" for trace in spec["data"]):
            title = "hidden"
        else:
            title = "live"
        charts[title] = spec
    return charts


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture()
def app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    _no_exception(at)
    return at


def test_train_shows_charts_verdict_and_numbers_that_match_the_result(app: AppTest) -> None:
    _tiny(app)
    app.button(key="tl_train").click().run()
    _no_exception(app)
    assert app.button(key="tl_stop").disabled is False or RESULT_KEY in app.session_state
    _poll_until_done(app)
    _no_exception(app)
    result = app.session_state[RESULT_KEY]
    assert result.reason == "finished" and result.epochs_done == 3
    # Verdict: computed sentences quoting the result's own numbers.
    verdict = app.success[0].value
    assert f"BiLSTM {result.acc_bi:.0%}" in verdict and f"LSTM {result.acc_uni:.0%}" in verdict
    # Metrics show the same numbers.
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["BiLSTM held-out accuracy"] == f"{result.acc_bi:.1%}"
    assert metrics["LSTM held-out accuracy"] == f"{result.acc_uni:.1%}"
    assert metrics["Chance level"] == "25.0%"
    # The models stay in the worker: the counts shown are checked against real Keras here.
    assert result.uni_model is None and result.bi_model is None
    bi_model = build_model(model_spec(result.config), bidirectional=True, seed=0)
    uni_model = build_model(model_spec(result.config, result.units_uni), bidirectional=False)
    assert metrics["BiLSTM parameters"] == f"{bi_model.count_params():,}"
    assert metrics["LSTM parameters"] == f"{uni_model.count_params():,}"
    # The per-step chart plots exactly the result's per-step accuracies and the ceiling.
    charts = _charts(app)
    assert {"steps", "hidden"} <= set(charts)
    traces = {trace["name"]: trace for trace in charts["steps"]["data"]}
    for name, values in (("BiLSTM", result.step_acc_bi), ("LSTM", result.step_acc_uni)):
        plotted = [np.nan if v is None else v for v in traces[name]["y"]]
        np.testing.assert_allclose(plotted, values, equal_nan=True)
    ceiling = [
        np.nan if v is None else v for v in traces["best any left-to-right model can do"]["y"]
    ]
    np.testing.assert_allclose(ceiling, [0.25] * 6 + [np.nan] * 2, equal_nan=True)
    # The sample table marks answers.
    table = app.dataframe[0].value
    assert list(table.index) == ["input token", "target", "BiLSTM", "LSTM"]
    assert any("✓" in cell or "✗" in cell for cell in table.loc["BiLSTM"])
    # Results stay on screen after an unrelated rerun, and the run is listed.
    app.number_input(key="tl_seed").set_value(1)
    app.run()
    _no_exception(app)
    assert app.session_state[RESULT_KEY] is result
    assert len(app.success) == 1 and len(_charts(app)) >= 2
    assert len(app.session_state[RUNS_KEY]) == 1


def test_stop_ends_training_early_and_keeps_partial_results(app: AppTest) -> None:
    _tiny(app, epochs=40, samples=10_000)
    app.button(key="tl_train").click().run()
    _no_exception(app)
    job = app.session_state[JOB_KEY]
    deadline = time.monotonic() + 120
    while job.progress is None:  # wait until it really trains (past model build and compile)
        assert time.monotonic() < deadline
        time.sleep(0.3)
    app.run()
    assert app.button(key="tl_stop").disabled is False
    assert app.button(key="tl_train").disabled is True  # one training per session at a time
    assert any("Epoch" in (p.proto.text or "") for p in app.get("progress"))
    app.button(key="tl_stop").click().run()
    assert job.stop_requested
    _poll_until_done(app, limit=60)
    _no_exception(app)
    result = app.session_state[RESULT_KEY]
    assert result.reason == "stopped" and result.epochs_done < 40
    assert "ended early (stopped)" in app.success[0].value
    assert app.button(key="tl_train").disabled is False


def test_bad_input_shows_a_message_not_a_traceback(app: AppTest) -> None:
    # k must stay below T: T=4 with k=6 is refused by the server-side check.
    app.slider(key="tl_k").set_value(6)
    app.slider(key="tl_seq_len").set_value(4)
    app.run()
    _no_exception(app)
    assert any("k must be smaller than seq_len" in e.value for e in app.error)
    assert app.button(key="tl_train").disabled is True


def test_queued_session_sees_its_position_then_trains(app: AppTest) -> None:
    pool = worker_pool()
    _tiny(app, epochs=1, samples=200)
    # Other sessions' jobs hold every worker.
    others = [pool.submit(BLOCKING_JOB) for _ in range(pool.size)]
    try:
        deadline = time.monotonic() + 120
        while any(job.progress is None for job in others):
            assert time.monotonic() < deadline, "the blocking jobs never started"
            time.sleep(0.1)
        app.button(key="tl_train").click().run()
        time.sleep(0.5)
        app.run()
        _no_exception(app)
        assert any("number 1 in the queue" in info.value for info in app.info)
    finally:
        for job in others:
            job.stop()
    _poll_until_done(app)
    _no_exception(app)
    assert app.session_state[RESULT_KEY].epochs_done == 1
    deadline = time.monotonic() + 30
    while pool.running:  # the worker is handed back as soon as the job ends
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_delay_trade_off_chart_plots_the_session_runs(app: AppTest) -> None:
    _tiny(app, epochs=2, samples=500)
    for delay in (0, 2):
        app.slider(key="tl_delay").set_value(delay).run()
        app.button(key="tl_train").click().run()
        _poll_until_done(app)
        _no_exception(app)
    runs = app.session_state[RUNS_KEY]
    assert [run["delay d"] for run in runs] == [0, 2]
    delay_chart = next(
        json.loads(c.proto.spec) for c in app.get("plotly_chart")
        if "Target delay" in json.dumps(json.loads(c.proto.spec).get("layout", {}))
    )  # fmt: skip
    lstm = next(t for t in delay_chart["data"] if t["name"].startswith("LSTM"))
    assert list(lstm["x"]) == [0, 2]
    assert list(lstm["y"]) == [run["LSTM acc"] for run in runs]
