"""The Training Lab page under `streamlit.testing.v1.AppTest`: Train, live progress, Stop, results,
the verdict's frame, the settings in the URL and the locked classroom link.

Training runs as a job in a worker process, so the tests poll the page (``at.run()``) the way
the browser's fragment does, until the job has ended.
"""

from __future__ import annotations

import base64
import json
import re
import time

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.core.connectivity import reading
from bilstm_lab.core.formatting import accuracy
from bilstm_lab.core.tasks import DEFAULT_TASK, TASKS
from bilstm_lab.core.train_config import default_config, model_spec
from bilstm_lab.core.train_fields import FIELDS, config_query
from bilstm_lab.models.builder import build_model
from bilstm_lab.render.training_charts import CEILING_NAME
from bilstm_lab.ui.pool import worker_pool
from bilstm_lab.ui.training import (
    DELAY_GENERIC_NAMES,
    JOB_KEY,
    NO_BREAK_HYPHEN,
    RESULT_KEY,
    RUNS_GENERIC_NAMES,
    RUNS_KEY,
    WRONG_CSS,
    WRONG_MARK,
    delay_names,
    runs_table,
    style_sample,
)
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "training_lab.py")
TIMEOUT = 120  # the first run starts the worker pool
BLOCKING_JOB = "tests.workers.jobs_for_tests:sleep_forever_until_stopped"


def _tiny(at: AppTest, epochs: int = 3, samples: int = 500) -> None:
    at.selectbox(key="tl_task").set_value("look_ahead").run()
    at.slider(key="tl_seq_len").set_value(8)
    at.slider(key="tl_k").set_value(2)
    at.slider(key="tl_vocab").set_value(4)
    at.select_slider(key="tl_samples").set_value(samples)
    at.select_slider(key="tl_units").set_value(16)
    at.slider(key="tl_epochs").set_value(epochs)
    at.select_slider(key="tl_learning_rate").set_value(0.02)
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
        names = [trace.get("name", "") for trace in spec["data"]]
        if CEILING_NAME in names:
            title = "steps"
        elif sum(trace["type"] == "heatmap" for trace in spec["data"]) == 3:
            title = "connectivity"
        elif any(trace["type"] == "heatmap" for trace in spec["data"]):
            title = "hidden"
        elif "Target delay" in json.dumps(spec.get("layout", {})):
            title = "delay"
        else:
            title = "live"
        charts[title] = spec
    return charts


def _array(encoded: dict | list) -> np.ndarray:
    """A numpy array as plotly's JSON carries it (typed base64 ``bdata``, or a plain list)."""
    if isinstance(encoded, list):
        return np.asarray(encoded)
    shape = [int(size) for size in str(encoded["shape"]).split(",")]
    return np.frombuffer(base64.b64decode(encoded["bdata"]), encoded["dtype"]).reshape(shape)


def _verdict_boxes(at: AppTest) -> list[tuple[str, str]]:
    """``(kind, text)`` of every verdict box (success, warning or info) on the page."""
    boxes = [("success", box.value) for box in at.success]
    boxes += [("warning", box.value) for box in at.warning]
    boxes += [("info", box.value) for box in at.info]
    return [(kind, text) for kind, text in boxes if text.startswith("- ")]


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
    # Verdict: the one verdict of the result, in the box its tone asks for.
    judged = explain.verdict(result)
    [(kind, text)] = _verdict_boxes(app)
    assert kind == judged.tone.value
    assert text == "\n".join(f"- {line}" for line in judged.lines)
    # Metrics show the same numbers, rounded as the verdict rounds them.
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["BiLSTM held-out accuracy"] == accuracy(result.acc_bi)
    assert metrics["LSTM held-out accuracy"] == accuracy(result.acc_uni)
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
    ceiling = [np.nan if v is None else v for v in traces[CEILING_NAME]["y"]]
    np.testing.assert_allclose(ceiling, [0.25] * 6 + [np.nan] * 2, equal_nan=True)
    # The connectivity heatmaps plot the result's maps; the reading under them is theirs.
    heatmaps = [_array(trace["z"]) for trace in charts["connectivity"]["data"]]
    assert result.connectivity is not None
    for plotted, matrix in zip(heatmaps, result.connectivity.maps().values(), strict=True):
        np.testing.assert_allclose(plotted, matrix)
    config = result.config
    numbers = reading(result.connectivity, config.task, config.params.k, config.target_delay)
    assert explain.connectivity_reading(numbers, ("BiLSTM", "LSTM")) in [
        m.value for m in app.markdown
    ]
    # The sample table marks wrong answers with × (no emoji) and shades them.
    table = app.table[0].value
    assert list(table.index) == ["input token", "target", "BiLSTM", "LSTM"]
    assert all(cell.split()[0].isdigit() or cell == "–" for cell in table.loc["BiLSTM"])
    wrong = {
        (row, col)
        for row, values in enumerate(table.to_numpy())
        for col, cell in enumerate(values)
        if str(cell).endswith(WRONG_MARK)
    }
    styles = app.table[0].proto.arrow_data.styler.styles  # "#T_x_row3_col1, … { css }"
    shaded = {
        (int(row), int(col))
        for rule in styles.splitlines()
        if WRONG_CSS in rule
        for row, col in re.findall(r"_row(\d+)_col(\d+)", rule)
    }
    assert shaded == wrong
    # Results stay on screen after an unrelated rerun, and the run is listed in %.
    app.number_input(key="tl_seed").set_value(1)
    app.run()
    _no_exception(app)
    assert app.session_state[RESULT_KEY] is result
    assert len(_verdict_boxes(app)) == 1 and len(_charts(app)) >= 2
    assert len(app.session_state[RUNS_KEY]) == 1
    runs = app.table[-1].value
    assert runs["BiLSTM accuracy"].tolist() == [accuracy(result.acc_bi)]
    assert runs["LSTM accuracy"].tolist() == [accuracy(result.acc_uni)]
    # Before a run the page said what Train would do; with a result on screen it does not.
    assert not any(explain.SETTINGS_NOTE + ":" in m.value for m in app.markdown)


def test_stop_ends_training_early_keeps_partial_results_and_the_steps_move_live(
    app: AppTest,
) -> None:
    _tiny(app, epochs=40, samples=10_000)
    app.button(key="tl_train").click().run()
    _no_exception(app)
    job = app.session_state[JOB_KEY]
    deadline = time.monotonic() + 120
    while job.progress is None or not job.progress.progress.batch:  # past build and compile
        assert time.monotonic() < deadline
        time.sleep(0.3)
    app.run()
    assert app.button(key="tl_stop").disabled is False
    assert app.button(key="tl_train").disabled is True  # one training per session at a time
    assert any("Epoch" in (p.proto.text or "") for p in app.get("progress"))
    # The accuracy per step is on screen while training (from the evaluation before the first
    # batch, then after every epoch).
    live = _charts(app)["steps"]
    assert {t["name"] for t in live["data"]} >= {"BiLSTM", "LSTM"}
    app.button(key="tl_stop").click().run()
    assert job.stop_requested
    _poll_until_done(app, limit=60)
    _no_exception(app)
    result = app.session_state[RESULT_KEY]
    assert result.reason == "stopped" and result.epochs_done < 40
    [(_, text)] = _verdict_boxes(app)
    assert "ended early (stopped)" in text
    assert app.button(key="tl_train").disabled is False


def test_bad_input_shows_a_message_not_a_traceback(app: AppTest) -> None:
    app.selectbox(key="tl_task").set_value("look_ahead").run()
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
        app.slider(key="tl_target_delay").set_value(delay).run()
        app.button(key="tl_train").click().run()
        _poll_until_done(app)
        _no_exception(app)
    runs = app.session_state[RUNS_KEY]
    assert [run["delay"] for run in runs] == [0, 2]
    delay_chart = _charts(app)["delay"]
    lstm = [t for t in delay_chart["data"] if t["name"].startswith("LSTM")]
    assert len(lstm) == 1  # one panel (one task): one LSTM line, one BiLSTM series
    assert list(lstm[0]["x"]) == [0, 2]
    assert list(lstm[0]["y"]) == [run["acc_uni"] for run in runs]
    assert [t.get("showlegend", True) for t in delay_chart["data"]].count(True) == 2


def test_a_leak_is_a_warning_never_a_success(app: AppTest) -> None:
    app.selectbox(key="tl_task").set_value("next_token").run()
    app.button(key="tl_train").click().run()
    _poll_until_done(app)
    _no_exception(app)
    [(kind, text)] = _verdict_boxes(app)
    assert kind == "warning" and text.startswith("- Leakage, not skill")
    assert not any(box.value.startswith("- ") for box in app.success)


# --- the settings in the URL --------------------------------------------------------------------


def test_the_page_opens_with_the_default_lesson_and_writes_it_to_the_url(app: AppTest) -> None:
    config = default_config(DEFAULT_TASK)
    assert app.selectbox(key="tl_task").value == DEFAULT_TASK
    assert app.slider(key="tl_seq_len").value == config.params.seq_len
    assert dict(app.query_params) == config_query(config)


def test_choosing_a_task_loads_its_lesson_settings(app: AppTest) -> None:
    app.slider(key="tl_epochs").set_value(1).run()
    app.selectbox(key="tl_task").set_value("look_ahead").run()
    _no_exception(app)
    config = default_config("look_ahead")
    assert app.slider(key="tl_epochs").value == config.epochs
    assert app.slider(key="tl_k").value == config.params.k
    assert dict(app.query_params) == config_query(config)


def test_a_copied_link_reopens_the_same_settings(app: AppTest) -> None:
    app.selectbox(key="tl_task").set_value("look_ahead").run()
    app.slider(key="tl_k").set_value(5).run()
    app.select_slider(key="tl_units").set_value(64).run()
    app.toggle(key="tl_match_params").set_value(True).run()
    app.selectbox(key="tl_cell").set_value("gru").run()
    link = dict(app.query_params)
    assert link["k"] == "5" and link["units"] == "64" and link["cell"] == "gru"
    reopened = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    reopened.query_params.update(link)
    reopened.run()
    _no_exception(reopened)
    for key in ("task", "cell"):
        assert reopened.selectbox(key=f"tl_{key}").value == app.selectbox(key=f"tl_{key}").value
    for key in ("seq_len", "k", "vocab", "epochs", "target_delay"):
        assert reopened.slider(key=f"tl_{key}").value == app.slider(key=f"tl_{key}").value
    assert reopened.select_slider(key="tl_units").value == 64
    assert reopened.toggle(key="tl_match_params").value is True
    assert dict(reopened.query_params) == link
    assert not reopened.warning


def test_a_bad_link_falls_back_and_names_the_field() -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params.update({"task": "look_ahead", "epochs": "500", "k": "x"})
    at.run()
    _no_exception(at)
    [warning] = at.warning
    assert warning.value.startswith(explain.LINK_FALLBACK)
    assert "epochs must be between 1 and 40" in warning.value and "k must be" in warning.value
    assert at.slider(key="tl_epochs").value == default_config("look_ahead").epochs


def test_lock_hides_the_controls_and_trains_the_linked_settings() -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    link = config_query(default_config("look_behind").with_changes(epochs=1, samples=200))
    at.query_params.update({**link, "lock": "1"})
    at.run()
    _no_exception(at)
    assert not at.sidebar.get("selectbox") and not at.slider and not at.select_slider
    assert explain.LOCKED_NOTE in at.markdown[0].value
    assert at.button(key="tl_train").disabled is False
    at.button(key="tl_train").click().run()
    _poll_until_done(at)
    _no_exception(at)
    result = at.session_state[RESULT_KEY]
    assert (result.config.task, result.config.epochs, result.config.samples) == (
        "look_behind",
        1,
        200,
    )
    assert at.query_params["lock"] == "1"


# --- the controls: ranges, a value outside them, and their words --------------------------------


def _numeric_controls(at: AppTest) -> dict[str, object]:
    return {
        widget.key: widget
        for kind in ("slider", "select_slider", "number_input")
        for widget in at.sidebar.get(kind)
    }


def test_every_number_control_states_its_range_in_its_help(app: AppTest) -> None:
    app.selectbox(key="tl_task").set_value("look_ahead").run()  # draws k and the delay too
    controls = _numeric_controls(app)
    expected = {"seq_len", "k", "vocab", "samples", "units", "epochs", "learning_rate"}
    assert set(controls) == {f"tl_{name}" for name in expected | {"seed", "target_delay"}}
    for key, control in controls.items():
        values = FIELDS[key.removeprefix("tl_")].page
        low, high = (values[0], values[-1]) if len(values) > 2 else values
        assert explain.value_range(low, high) in control.help, (key, control.help)  # type: ignore[attr-defined]
    assert "0–2,147,483,647" in app.number_input(key="tl_seed").help


@pytest.mark.parametrize(
    ("value", "problem"), [(3_000_000_000, "3,000,000,000 is too large"), (-1, "-1 is too small")]
)
def test_an_out_of_range_run_number_is_named_under_its_box(
    app: AppTest, value: int, problem: str
) -> None:
    before = dict(app.query_params)
    app.number_input(key="tl_seed").set_value(value).run()
    _no_exception(app)
    message = explain.out_of_range("Run number", value, 0, 2**31 - 1)
    assert message == f"Run number must be a whole number from 0 to 2,147,483,647 — {problem}"
    [error] = app.sidebar.error
    assert error.value == f"{message}." and error.icon == ":material/error:"
    assert app.number_input(key="tl_seed").value == value  # what was typed stays in the box
    assert any(message in e.value for e in app.main.error)
    assert app.button(key="tl_train").disabled is True
    assert dict(app.query_params) == before  # the link keeps the last good settings
    app.number_input(key="tl_seed").set_value(5).run()
    assert not app.error and app.button(key="tl_train").disabled is False
    assert app.query_params["seed"] == "5"


def test_no_control_says_seed_and_the_labels_follow_the_cell(app: AppTest) -> None:
    app.selectbox(key="tl_task").set_value("look_ahead").run()
    for cell, uni, bi in (("lstm", "LSTM", "BiLSTM"), ("gru", "GRU", "BiGRU")):
        app.selectbox(key="tl_cell").set_value(cell).run()
        _no_exception(app)
        words = [
            text
            for kind in ("selectbox", "slider", "select_slider", "number_input", "toggle")
            for widget in app.sidebar.get(kind)
            for text in (widget.label, widget.help or "")  # type: ignore[attr-defined]
        ]
        words += [caption.value for caption in app.sidebar.caption]
        assert not any("seed" in text.lower() for text in words), words
        assert app.number_input(key="tl_seed").label == "Run number"
        assert app.number_input(key="tl_seed").help.startswith(explain.RUN_NUMBER_HELP)
        toggle = app.toggle(key="tl_match_params")
        assert toggle.label == explain.match_params_label((bi, uni)) == f"Parameter-matched {uni}"
        assert toggle.help == explain.match_params_help((bi, uni))


# --- what the page shows around a run: the empty state, the tables -------------------------------


def test_before_a_run_the_page_says_what_train_will_do_with_which_settings(app: AppTest) -> None:
    config = default_config(DEFAULT_TASK)
    texts = [m.value for m in app.main.markdown]
    intro = explain.training_lab_intro(explain.variant_names(config))
    # Beside the Train button (in the main area, not only in the sidebar presenter mode hides):
    # what Train does, then the settings, worded as a locked link words them.
    assert texts.index(intro) < texts.index(explain.current_settings(config))
    line = explain.settings_line(config)
    assert explain.current_settings(config).endswith(line)
    assert explain.locked_settings(config).endswith(line)
    # The settings line follows the controls.
    app.slider(key="tl_epochs").set_value(3).run()
    assert explain.current_settings(config.with_changes(epochs=3)) in [
        m.value for m in app.main.markdown
    ]


def test_a_locked_link_states_its_settings_once() -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    config = default_config("look_ahead")
    at.query_params.update({**config_query(config), "lock": "1"})
    at.run()
    _no_exception(at)
    texts = [m.value for m in at.main.markdown]
    assert texts[0] == explain.locked_settings(config)
    assert explain.training_lab_intro(explain.variant_names(config)) in texts
    assert sum(explain.settings_line(config) in text for text in texts) == 1


def test_k_unused_is_a_caption_on_its_own_line(app: AppTest) -> None:
    app.selectbox(key="tl_task").set_value("reversal").run()
    assert explain.K_UNUSED in [caption.value for caption in app.sidebar.caption]
    assert not [s for s in app.sidebar.slider if s.key == "tl_k"]


def _record(cell: str, names: tuple[str, str], acc_uni: float, acc_bi: float) -> dict:
    return {
        "task": "Look-ahead", "cell": cell, "names": names, "T": 12, "k": 3, "delay": 0,
        "matched": False, "acc_uni": acc_uni, "acc_bi": acc_bi, "params_uni": 6468,
        "params_bi": 12868, "epochs": 5, "seconds": 7.25,
    }  # fmt: skip


def test_the_runs_table_puts_the_bidirectional_model_first_under_short_headers() -> None:
    runs = [_record("LSTM", ("BiLSTM", "LSTM"), 0.13, 0.99)]
    table = runs_table(runs)
    assert list(table.columns) == [
        "task", "cell", "T", "k", "d", "matched", "BiLSTM accuracy", "LSTM accuracy",
        "BiLSTM params", "LSTM params", "epochs", "seconds",
    ]  # fmt: skip
    assert table.iloc[0]["BiLSTM accuracy"] == accuracy(0.99)
    assert table.iloc[0]["LSTM params"] == "6,468"
    # No header is longer than two short words (they fit a 1280 px screen; see the browser test).
    assert all(len(header.split()) <= 2 for header in table.columns)
    # Runs of different cells: the headers say which direction, not which cell.
    mixed = runs_table([*runs, _record("GRU", ("BiGRU", "GRU"), 0.2, 0.98)])
    bi, uni = RUNS_GENERIC_NAMES
    assert list(mixed.columns)[6:10] == [
        f"{bi} accuracy", f"{uni} accuracy", f"{bi} params", f"{uni} params",
    ]  # fmt: skip
    assert mixed[f"{bi} accuracy"].tolist() == [accuracy(0.99), accuracy(0.98)]
    # "Look-ahead" must not break at its hyphen (it wraps at spaces only, if at all).
    assert table.iloc[0]["task"] == f"Look{NO_BREAK_HYPHEN}ahead"


def test_the_delay_chart_names_the_models_of_the_runs_it_plots() -> None:
    lstm = [_record("LSTM", ("BiLSTM", "LSTM"), acc, 0.99) for acc in (0.13, 0.98)]
    lstm[1]["delay"] = 3
    # The controls now hold GRU, but the delayed runs were LSTM runs.
    other = {**_record("GRU", ("BiGRU", "GRU"), 0.5, 1.0), "task": "Reversal", "k": None}
    assert delay_names([*lstm, other]) == ("BiLSTM", "LSTM")
    gru_on_the_same_panel = _record("GRU", ("BiGRU", "GRU"), 0.2, 0.98)
    assert delay_names([*lstm, gru_on_the_same_panel]) == DELAY_GENERIC_NAMES


def test_wrong_answers_are_shaded_and_marked() -> None:
    table = pd.DataFrame(
        {"t=0": ["1", "1", "1", f"2 {WRONG_MARK}"], "t=1": ["0", "–", "–", "–"]},
        index=["input token", "target", "BiLSTM", "LSTM"],
    )
    styled = style_sample(table)
    styled._compute()
    shaded = {cell for cell, props in styled.ctx.items() if props and props[0][0]}
    assert shaded == {(3, 0)}
    wanted = [tuple(part.strip() for part in rule.split(":")) for rule in WRONG_CSS.split(";")]
    assert styled.ctx[(3, 0)] == wanted


def test_the_runs_caption_names_the_task_as_the_task_select_does() -> None:
    names = ("BiLSTM", "LSTM")
    caption = explain.runs_caption(names)
    assert f"“{TASKS['look_ahead'].name}”" in caption
    assert f"“{explain.match_params_label(names)}”" in caption
    assert "'" not in caption.replace("'s ", "")  # no straight quotes around names
