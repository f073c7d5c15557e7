"""The Training Lab page: pick a task, train LSTM and BiLSTM side by side, see where they differ.

Training runs as a job in a warm worker process (`bilstm_lab.workers`), so the script run is
never blocked and this process never imports TensorFlow: a fragment polls the job every second
to draw the live curves and the live accuracy at each time step, the Stop button is handled at
once, and the pool's first-come-first-served queue bounds how many trainings run. Results
(plain numbers) are kept in ``st.session_state`` so they survive reruns; the models stay in the
worker.

The whole configuration lives in the URL (`bilstm_lab.core.train_fields`), so a copied link
reopens it; ``?lock=1`` hides the controls for a classroom link. Choosing a task loads the
settings its lesson needs (`bilstm_lab.core.train_config.TASK_DEFAULTS`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from bilstm_lab.core import explain
from bilstm_lab.core.errors import InputError, TaskError, check_number
from bilstm_lab.core.formatting import accuracy, fmt
from bilstm_lab.core.results import LiveSnapshot, TrainResult
from bilstm_lab.core.spec import Cell
from bilstm_lab.core.tasks import TASKS, get_task
from bilstm_lab.core.train_config import PAGE_TIME_BUDGET, TrainConfig, default_config
from bilstm_lab.core.train_fields import (
    FIELDS,
    NOT_SETTINGS,
    config_from_fields,
    config_from_query,
    config_query,
    config_values,
)
from bilstm_lab.core.verdict import Tone
from bilstm_lab.render.training_charts import (
    delay_figure,
    hidden_state_figure,
    live_figure,
    step_accuracy_figure,
)
from bilstm_lab.ui import display, downloads, restart_marker
from bilstm_lab.ui.common import show_input_error
from bilstm_lab.ui.connectivity_panel import render_connectivity
from bilstm_lab.ui.live_figures import live_figures
from bilstm_lab.ui.pool import training_desk, worker_pool
from bilstm_lab.ui.visitor import client_address, session_token
from bilstm_lab.workers.errors import WorkerLost
from bilstm_lab.workers.job import JobState
from bilstm_lab.workers.training_desk import Ticket, TrainingRefused

JOB_KEY = "training_lab_job"
RESULT_KEY = "training_lab_result"
#: How the session's result was obtained: None (its own run), or a `explain.SharedRun` kind.
SHARED_KEY = "training_lab_shared"
RUNS_KEY = "training_lab_runs"
NOTICE_KEY = "training_lab_notice"
#: The warnings of the link the page was opened with (shown until the settings change).
LINK_KEY = "training_lab_link"
#: The last settings shown, for coming back from another page (whose URL has none).
LAST_QUERY_KEY = "training_lab_last_query"
#: How often the live panel polls the job (a fragment rerun: cheap, no TensorFlow here).
POLL_SECONDS = 1.0
#: At most this many time steps per row of the held-out sequence table.
SAMPLE_COLUMNS = 16
#: Marks a wrong answer in the held-out sequence table (readable without colour).
WRONG_MARK = "×"
#: How a wrong answer's cell is drawn: shaded and bold, on top of the mark.
WRONG_CSS = "background-color: #fcd9d6; color: #8a1c12; font-weight: 700"
#: The runs table's task names hyphenate with this (U+2011): "Look-ahead" may not break at its
#: hyphen (a cell's CSS cannot reach the Markdown inside it), a long name still wraps at spaces.
NO_BREAK_HYPHEN = "\u2011"
#: The runs table's model headers when the runs used different cells.
RUNS_GENERIC_NAMES = ("bidirectional", "unidirectional")
#: The delay chart's model names when the runs it plots used different cells.
DELAY_GENERIC_NAMES = ("bidirectional model", "unidirectional model")
#: How the verdict box is framed for each tone.
VERDICT_BOXES = {
    Tone.SUCCESS: (st.success, ":material/check_circle:"),
    Tone.WARNING: (st.warning, ":material/warning:"),
    Tone.INFO: (st.info, ":material/info:"),
}


def _key(name: str) -> str:
    """The widget key of a training field: ``tl_seq_len``."""
    return f"tl_{name}"


# --- settings: the URL, the widgets and the run -------------------------------------------------


def _load_widgets(config: TrainConfig) -> None:
    """Set every control to ``config``'s value (before the controls are drawn)."""
    for name, value in config_values(config).items():
        st.session_state[_key(name)] = value


def _link_params() -> dict[str, list[str]]:
    """The URL's settings (without the display flags and the restart marker)."""
    return {key: st.query_params.get_all(key) for key in st.query_params if key not in NOT_SETTINGS}


def _init_from_url() -> None:
    """On a fresh visit (or back from another page), read the settings from the URL."""
    if _key("task") in st.session_state:
        return
    params: dict[str, Any] = _link_params()
    if not params and LAST_QUERY_KEY in st.session_state:
        # Back from another page (whose URL has no settings): Streamlit dropped the widgets'
        # state, but the session remembers the settings it last showed.
        params = dict(st.session_state[LAST_QUERY_KEY])
    config, warnings = config_from_query(params)
    _load_widgets(config)
    st.session_state[LINK_KEY] = (config, warnings)


def _on_task() -> None:
    """A new task starts from the settings its lesson needs."""
    _load_widgets(default_config(st.session_state[_key("task")]))


def _keep_defaults(task: str) -> None:
    # Streamlit forgets the state of controls that were not drawn in the last run (k of a task
    # without an offset); refill them from the task's defaults.
    for name, value in config_values(default_config(task)).items():
        st.session_state.setdefault(_key(name), value)


def _sync_url(config: TrainConfig) -> None:
    """Write the run's settings to the URL (keeping the display flags and the restart marker)."""
    query = config_query(config)
    flags = {key: st.query_params[key] for key in NOT_SETTINGS if key in st.query_params}
    wanted = {**query, **flags}
    if {key: st.query_params.get(key) for key in st.query_params} != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[LAST_QUERY_KEY] = query


# --- controls ---------------------------------------------------------------------------------


def _slider(label: str, name: str, about: str = "", **options: Any) -> Any:
    """A slider over the field's page range; its help (``about``, if given) states the range."""
    low, high = FIELDS[name].page
    help_text = explain.range_help(low, high, about)
    return st.slider(label, low, high, key=_key(name), help=help_text, **options)


def _choice(label: str, name: str, **options: Any) -> Any:
    """A select slider over the field's page options; its help states their range."""
    choices = FIELDS[name].page
    help_text = explain.range_help(min(choices), max(choices), choices=choices)
    return st.select_slider(label, choices, key=_key(name), help=help_text, **options)


def _number(label: str, name: str, about: str) -> TaskError | None:
    """A number box over the field's page range, stating the range in its help.

    It has no min/max: the browser would drop an out-of-range value silently. The server checks
    it instead, and a bad value's message is shown right under the box.

    Returns:
        The error naming the box and its range, or ``None`` for a good value.
    """
    low, high = FIELDS[name].page
    st.number_input(label, step=1, key=_key(name), help=explain.range_help(low, high, about))
    value = st.session_state[_key(name)]
    try:
        check_number(label, value, low, high, error=TaskError)
    except TaskError:
        message = explain.out_of_range(label, value, low, high)
        st.error(f"{message}.", icon=":material/error:")
        return TaskError(name, message)
    return None


def controls() -> dict[str, Any]:
    """Draw the task and model controls; return the values they hold (checked by `build_config`).

    Raises:
        TaskError: once every control is drawn, for a number box holding a value outside its
            range (the message is already shown under the box).
    """
    _keep_defaults(st.session_state[_key("task")])
    st.selectbox(
        "Task",
        FIELDS["task"].page,
        format_func=lambda key: TASKS[key].name,
        key=_key("task"),
        on_change=_on_task,
        help=explain.TASK_HELP,
    )
    task = get_task(st.session_state[_key("task")])
    drawn = ["task", "seq_len", "vocab", "samples", "epochs", "units", "learning_rate"]
    drawn += ["seed", "cell", "match_params"]
    # One control per row where a label is too long for half the sidebar (it would wrap at
    # 1280 px); pairs only where both labels fit on one line.
    _slider("Sequence length T", "seq_len")
    if task.uses_k:
        _slider("k (offset)", "k")
        drawn.append("k")
    else:
        st.caption(explain.K_UNUSED)
    cols = st.columns(2)
    with cols[0]:
        _slider("Vocabulary", "vocab")
    with cols[1]:
        _slider("Epochs", "epochs")
    _choice("Training samples", "samples")
    _choice("Units per direction", "units")
    cols = st.columns(2)
    with cols[0]:
        _choice("Learning rate", "learning_rate")
    with cols[1]:
        bad_number = _number("Run number", "seed", explain.RUN_NUMBER_HELP)
    st.selectbox(
        "Cell",
        FIELDS["cell"].page,
        format_func=lambda value: Cell(value).keras_name,
        key=_key("cell"),
    )
    if task.per_step:
        _slider(
            "Target delay d (the unidirectional model answers d steps late)",
            "target_delay",
            explain.TARGET_DELAY_HELP,
        )
        drawn.append("target_delay")
    names = explain.cell_variant_names(Cell(st.session_state[_key("cell")]))
    st.toggle(
        explain.match_params_label(names),
        key=_key("match_params"),
        help=explain.match_params_help(names),
    )
    if bad_number is not None:
        raise bad_number
    return {name: st.session_state[_key(name)] for name in drawn}


def build_config(values: dict[str, Any]) -> TrainConfig:
    """Turn control values into a validated `TrainConfig` (the task's defaults fill the rest).

    Raises:
        InputError: naming the first bad field.
    """
    return config_from_fields(values)


# --- the job ----------------------------------------------------------------------------------


def _start(config: TrainConfig) -> None:
    """Button callback: ask the training desk for this run (one at a time per session).

    The desk shares identical runs and applies the per-address cap; a refusal is kept as the
    page's notice, saying why.
    """
    old: Ticket | None = st.session_state.get(JOB_KEY)
    if old is not None and old.active:
        return
    st.session_state.pop(NOTICE_KEY, None)
    run = replace(config, time_budget=PAGE_TIME_BUDGET)
    try:
        ticket = training_desk().request(run, run, session_token(), client_address())
    except TrainingRefused as refused:
        st.session_state[NOTICE_KEY] = (
            "info",
            explain.training_refused(refused.reason, refused.limit),
        )
        return
    st.session_state[JOB_KEY] = ticket
    restart_marker.remember()


def _stop() -> None:
    """Button callback: stop this session's job."""
    job = st.session_state.get(JOB_KEY)
    if job is not None:
        job.stop()


def _collect_finished_job() -> None:
    """Move a finished job's result into the session, or keep the reason it has none.

    The reason is kept in the session (not just drawn once) so it stays on screen through
    later reruns, until the next Train.
    """
    job: Ticket | None = st.session_state.get(JOB_KEY)
    if job is None or job.active:
        return
    del st.session_state[JOB_KEY]
    if job.state == JobState.DONE:
        result: TrainResult = job.result
        st.session_state[RESULT_KEY] = result
        st.session_state[SHARED_KEY] = (
            None
            if not job.shared
            else explain.SharedRun.RECORDED
            if job.job is None
            else explain.SharedRun.JOINED
        )
        st.session_state.setdefault(RUNS_KEY, []).append(run_record(result))
        return
    if job.detached:
        notice = ("info", explain.LEFT_SHARED_RUN)
    elif isinstance(job.error, WorkerLost):
        notice = ("error", explain.TRAINING_INTERRUPTED)
    elif isinstance(job.error, ValueError):
        notice = ("error", str(job.error))
    elif job.state == JobState.FAILED:
        notice = ("error", explain.job_failed("The training", job.error))
    else:
        notice = ("info", explain.TRAINING_LEFT_QUEUE)
    st.session_state[NOTICE_KEY] = notice


def _show_notice() -> None:
    """Why the last training has no result, if it has none."""
    notice = st.session_state.get(NOTICE_KEY)
    if notice is None:
        return
    kind, text = notice
    if kind == "error":
        st.error(text, icon=":material/error:")
    elif kind == "warning":
        st.warning(text, icon=":material/restart_alt:")
    else:
        st.info(text, icon=":material/info:")


@st.fragment(run_every=POLL_SECONDS)
def live_panel(names: tuple[str, str]) -> None:
    """Progress bar, queue position, live curves and live accuracy per step; polls the job
    until it ends."""
    job: Ticket | None = st.session_state.get(JOB_KEY)
    if job is None:
        return
    if not job.active:
        st.rerun()  # the whole page: show the results
    job.touch()  # heartbeat: this session is still watching
    if job.shared:
        st.caption(explain.watching_shared_run(job.watchers))
    if job.state == JobState.QUEUED:
        pool = worker_pool()
        st.info(
            explain.queue_position(job.position(), pool.running, pool.size),
            icon=":material/hourglass_top:",
        )
        return
    live: LiveSnapshot | None = job.progress
    if live is None:
        st.progress(0.0, text=explain.TRAINING_STARTING)
        return
    st.progress(
        live.progress.fraction, text=explain.training_progress(live.progress, job.stop_requested)
    )
    curves, steps = live_figures(live, names)
    left, right = st.columns([2, 3])
    with left:
        display.plotly_chart(curves, key="tl_live_chart")
    if steps is not None:
        with right:
            display.plotly_chart(steps, key="tl_live_steps")


# --- results ----------------------------------------------------------------------------------


def _answer(predicted: int, target: int) -> str:
    """A model's answer in the sample table; `WRONG_MARK` marks a wrong one."""
    return str(predicted) if predicted == target else f"{predicted} {WRONG_MARK}"


def _wrong(value: object) -> bool:
    return isinstance(value, str) and value.endswith(f" {WRONG_MARK}")


def style_sample(table: pd.DataFrame) -> Styler:
    """A held-out sequence table with its wrong answers shaded (the mark stays, for print and
    for readers who cannot tell the colour)."""
    return table.style.map(lambda value: WRONG_CSS if _wrong(value) else "")


def sample_tables(result: TrainResult, names: tuple[str, str]) -> list[pd.DataFrame]:
    """The held-out sequence: input, target and each model's answers, at most
    `SAMPLE_COLUMNS` time steps per table so none is cut off."""
    x, y, mask = result.sample.x[0], result.sample.y[0], result.sample.mask[0]
    rows: dict[str, list[str]] = {"input token": [str(v) for v in x]}
    if result.config.task_obj.per_step:
        rows["target"] = [str(v) if m else "–" for v, m in zip(y, mask, strict=True)]
        for name, pred in ((names[0], result.pred_bi[0]), (names[1], result.pred_uni[0])):
            rows[name] = [
                "–" if not m or p < 0 else _answer(int(p), int(v))
                for p, v, m in zip(pred, y, mask, strict=True)
            ]
    else:
        blank = [""] * (len(x) - 1)
        rows["target"] = [str(int(y)), *blank]
        rows[names[0]] = [_answer(int(result.pred_bi[0]), int(y)), *blank]
        rows[names[1]] = [_answer(int(result.pred_uni[0]), int(y)), *blank]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[f"t={t}" for t in range(len(x))])
    return [
        table.iloc[:, start : start + SAMPLE_COLUMNS] for start in range(0, len(x), SAMPLE_COLUMNS)
    ]


def run_record(result: TrainResult) -> dict[str, Any]:
    """One run of this session, as numbers (the runs table and the delay chart read it)."""
    config = result.config
    task = config.task_obj
    return {
        "task": task.name,
        "cell": Cell(config.cell).keras_name,
        "names": explain.variant_names(config),
        "T": config.params.seq_len,
        "k": config.params.k if task.uses_k else None,
        "delay": config.target_delay,
        "matched": config.match_params,
        "acc_uni": result.acc_uni,
        "acc_bi": result.acc_bi,
        "params_uni": result.params_uni,
        "params_bi": result.params_bi,
        "epochs": result.epochs_done,
        "seconds": result.seconds,
    }


def runs_table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    """The runs as the page shows them: accuracies in %, counts with separators, the
    bidirectional model first (as in the tiles and the legends).

    The model columns are headed with the models' names (``BiLSTM accuracy``) when every run
    used the same cell, else with "bidirectional" / "unidirectional". Headers are short, so a
    1280 px screen shows them without breaking a word; task names break at spaces only.
    """
    bi, uni = _shared_names(runs, RUNS_GENERIC_NAMES)
    return pd.DataFrame(
        {
            "task": [run["task"].replace("-", NO_BREAK_HYPHEN) for run in runs],
            "cell": [run["cell"] for run in runs],
            "T": [str(run["T"]) for run in runs],
            "k": ["–" if run["k"] is None else str(run["k"]) for run in runs],
            "d": [str(run["delay"]) for run in runs],
            "matched": ["yes" if run["matched"] else "no" for run in runs],
            f"{bi} accuracy": [accuracy(run["acc_bi"]) for run in runs],
            f"{uni} accuracy": [accuracy(run["acc_uni"]) for run in runs],
            f"{bi} params": [fmt(run["params_bi"]) for run in runs],
            f"{uni} params": [fmt(run["params_uni"]) for run in runs],
            "epochs": [str(run["epochs"]) for run in runs],
            "seconds": [f"{run['seconds']:.1f}" for run in runs],
        }
    )


def _shared_names(runs: list[dict[str, Any]], mixed: tuple[str, str]) -> tuple[str, str]:
    """The models' names of ``runs`` if they all used the same cell, else ``mixed``."""
    names = {tuple(run.get("names", ())) for run in runs}
    return names.pop() if len(names) == 1 and () not in names else mixed


def delay_names(runs: list[dict[str, Any]]) -> tuple[str, str]:
    """The names the delay chart gives the models: those of the runs it plots (the panels of
    a task and k with a delayed run), not the cell the controls hold now."""
    delayed = {(run["task"], run["k"]) for run in runs if run["delay"]}
    return _shared_names([r for r in runs if (r["task"], r["k"]) in delayed], DELAY_GENERIC_NAMES)


def render_verdict(result: TrainResult) -> None:
    """The verdict, in a box whose frame follows its tone (a leak is a warning)."""
    judged = explain.verdict(result)
    box, icon = VERDICT_BOXES[judged.tone]
    box("\n".join(f"- {line}" for line in judged.lines), icon=icon, title="Verdict")


def render_results(result: TrainResult) -> None:
    """Everything shown after a run: first what fits a projector's screen (the accuracies, the
    verdict and the per-step chart, side by side), then the details."""
    names = explain.variant_names(result.config)
    tiles = st.columns(3)
    tiles[0].metric(f"{names[0]} held-out accuracy", accuracy(result.acc_bi))
    tiles[1].metric(f"{names[1]} held-out accuracy", accuracy(result.acc_uni))
    tiles[2].metric("Chance level", accuracy(result.chance))
    left, right = st.columns([2, 3])
    with left:
        render_verdict(result)
    with right:
        scores = result.step_scores
        if scores is not None:
            # Its camera button saves a 1920×1080 PNG for slides.
            downloads.downloadable_chart(
                step_accuracy_figure(scores, names), "tl_step_chart", "accuracy_per_step"
            )
            st.caption(explain.step_chart_caption(names, result.config.target_delay))
        else:
            display.plotly_chart(live_figure([], result.history, names), key="tl_history_chart")
    cols = st.columns(3)
    cols[0].metric(f"{names[0]} parameters", fmt(result.params_bi))
    cols[1].metric(
        f"{names[1]} parameters", fmt(result.params_uni), help=explain.units_note(result)
    )
    cols[2].metric("Duration", f"{result.seconds:.1f} s", help=explain.training_time_note(result))
    st.markdown("#### One held-out sequence")
    st.caption(explain.SAMPLE_CAPTION)
    for table in sample_tables(result, names):
        st.table(style_sample(table))
    st.markdown(f"#### Inside the {names[0]}: hidden states on that sequence")
    st.caption(explain.hidden_states_caption(names))
    downloads.downloadable_chart(hidden_state_figure(result), "tl_hidden_chart", "hidden_states")
    render_connectivity(result, names)


def render_runs(names: tuple[str, str]) -> None:
    """The runs of this session: the delay trade-off and the parameter-matched comparison."""
    runs: list[dict[str, Any]] = st.session_state.get(RUNS_KEY, [])
    if not runs:
        return
    st.markdown("#### Runs this session")
    st.caption(explain.runs_caption(names))
    st.table(runs_table(runs), hide_index=True)
    if any(run["delay"] for run in runs):
        display.plotly_chart(delay_figure(runs, delay_names(runs)), key="tl_delay_chart")


# --- the page ---------------------------------------------------------------------------------


def _settings(locked: bool) -> TrainConfig | None:
    """The run the page would train: from the URL when locked, else from the controls."""
    link: tuple[TrainConfig, list[str]] | None
    if locked:
        config, warnings = config_from_query(_link_params())
        link = (config, warnings)
        st.markdown(explain.locked_settings(config))
    else:
        _init_from_url()
        try:
            with st.sidebar:
                st.header("Task and model")
                values = controls()
            config = build_config(values)
        except InputError as error:
            show_input_error(error)
            return None
        _sync_url(config)
        link = st.session_state.get(LINK_KEY)
    if link is not None and link[1] and link[0] == config:
        st.warning(
            explain.LINK_FALLBACK + "\n\n" + "\n".join(f"- {text}" for text in link[1]),
            icon=":material/link_off:",
        )
    return config


def render_empty(config: TrainConfig | None, names: tuple[str, str], locked: bool) -> None:
    """Before the first run, beside the Train button: what Train does and with which settings
    (the sidebar is hidden in presenter mode; a locked link states its settings at the top)."""
    st.markdown(explain.training_lab_intro(names))
    if config is not None and not locked:
        st.markdown(explain.current_settings(config))


def render_page() -> None:
    """The whole Training Lab page."""
    st.title("Training Lab")
    locked = display.locked()
    config = _settings(locked)
    task = config.task_obj if config is not None else get_task(st.session_state[_key("task")])
    if config is not None:
        names = explain.variant_names(config)
    else:  # a bad value somewhere: no run, but the cell control still names the variants
        names = explain.cell_variant_names(
            Cell(st.session_state.get(_key("cell"), Cell.LSTM.value))
        )
    _collect_finished_job()
    job: Ticket | None = st.session_state.get(JOB_KEY)
    running = job is not None and job.active
    result: TrainResult | None = st.session_state.get(RESULT_KEY)
    if restart_marker.lost_to_restart(running or result is not None):
        st.session_state[NOTICE_KEY] = ("warning", explain.SERVER_RESTARTED)
    about, buttons = st.columns([5, 1])
    with about:
        st.markdown(explain.task_summary(task))
        st.caption(task.lesson)
        if result is None and not running:
            render_empty(config, names, locked)
    with buttons:
        st.button(
            "Train",
            type="primary",
            key="tl_train",
            icon=":material/play_arrow:",
            disabled=config is None or running,
            on_click=_start,
            args=(config,),
            width="stretch",
        )
        st.button(
            "Stop",
            key="tl_stop",
            icon=":material/stop:",
            disabled=not running,
            on_click=_stop,
            width="stretch",
        )
    _show_notice()
    if running:
        live_panel(names)
    elif result is not None:
        shared = st.session_state.get(SHARED_KEY)
        if shared is not None:
            st.info(explain.shared_result(shared), icon=":material/group:")
        render_results(result)
    render_runs(names)
