"""The Training Lab page: pick a task, train LSTM and BiLSTM side by side, see where they differ.

Training runs as a job in a warm worker process (`bilstm_lab.workers`), so the script run is
never blocked and this process never imports TensorFlow: a fragment polls the job every 1.5 s
to draw live curves, the Stop button is handled at once, and the pool's first-come-first-served
queue bounds how many trainings run. Results (plain numbers) are kept in ``st.session_state``
so they survive reruns; the models stay in the worker.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.errors import InputError
from bilstm_lab.core.results import LiveSnapshot, TrainResult
from bilstm_lab.core.tasks import TASKS, TaskParams, get_task
from bilstm_lab.core.train_config import TrainConfig
from bilstm_lab.render.training_charts import (
    delay_figure,
    hidden_state_figure,
    live_figure,
    step_accuracy_figure,
)
from bilstm_lab.ui.common import show_input_error
from bilstm_lab.ui.pool import worker_pool
from bilstm_lab.workers.errors import WorkerLost
from bilstm_lab.workers.job import Job, JobState

JOB_KEY = "training_lab_job"
RESULT_KEY = "training_lab_result"
RUNS_KEY = "training_lab_runs"
NOTICE_KEY = "training_lab_notice"
#: How often the live panel polls the job (a fragment rerun: cheap, no TensorFlow here).
POLL_SECONDS = 1.5


# --- controls ---------------------------------------------------------------------------------


def controls() -> dict[str, Any]:
    """Draw the task and model controls; return their raw values (validated later)."""
    keys = list(TASKS)
    task_key = st.selectbox(
        "Task",
        keys,
        index=0,
        format_func=lambda key: TASKS[key].name,
        key="tl_task",
        help="Each task states its rule; the ones marked 'needs the future' cannot be solved "
        "by a model that reads left to right only.",
    )
    task = get_task(task_key)
    values: dict[str, Any] = {"task": task_key}
    cols = st.columns(2)
    values["seq_len"] = cols[0].slider("Sequence length T", 4, 48, 16, key="tl_seq_len")
    values["k"] = (
        cols[1].slider("k (offset)", 1, 12, 3, key="tl_k", disabled=not task.uses_k)
        if task.uses_k
        else 1
    )
    if not task.uses_k:
        cols[1].caption("k: not used by this task")
    cols = st.columns(2)
    values["vocab"] = cols[0].slider("Vocabulary", 2, 20, 8, key="tl_vocab")
    values["samples"] = cols[1].select_slider(
        "Training samples", [200, 500, 1000, 2000, 3000, 5000, 10_000], 3000, key="tl_samples"
    )
    model_cols = st.columns(2) + st.columns(2)
    values["units"] = model_cols[0].select_slider(
        "Units per direction", [4, 8, 16, 32, 64, 128], 32, key="tl_units"
    )
    values["epochs"] = model_cols[1].slider("Epochs", 1, 40, 5, key="tl_epochs")
    values["learning_rate"] = model_cols[2].select_slider(
        "Learning rate", [0.001, 0.003, 0.01, 0.02, 0.05], 0.02, key="tl_lr"
    )
    values["seed"] = int(model_cols[3].number_input("Seed", 0, 2**31 - 1, 0, key="tl_seed"))
    option_cols = [st.container(), st.container()]
    values["target_delay"] = (
        option_cols[0].slider(
            "Target delay d (LSTM answers d steps late)",
            0,
            12,
            0,
            key="tl_delay",
            help="Graves & Schmidhuber (2005): instead of reading the future, the "
            "unidirectional model waits d steps before answering. On look-ahead it catches up "
            "once d ≥ k — at the price of d steps of latency.",
        )
        if task.per_step
        else 0
    )
    values["match_params"] = option_cols[1].toggle(
        "Parameter-matched LSTM",
        False,
        key="tl_match",
        help="Widen the LSTM until it has as many parameters as the BiLSTM, so the BiLSTM's "
        "win cannot be put down to its extra weights.",
    )
    return values


def describe_task(task_key: str) -> None:
    """The task's rule, whether it needs the future, and its lesson, in plain words."""
    task = get_task(task_key)
    st.markdown(
        f"**{task.name}** — {task.rule}.  \n"
        f"**Needs the future:** {'yes' if task.needs_future else 'no'} · "
        f"**Label:** {'one per time step' if task.per_step else 'one per sequence'}  \n"
        f"{task.lesson}"
    )


def build_config(values: dict[str, Any]) -> TrainConfig:
    """Turn raw control values into a validated `TrainConfig`.

    Raises:
        InputError: naming the first bad field.
    """
    params = TaskParams(
        seq_len=int(values["seq_len"]), k=int(values["k"]), vocab=int(values["vocab"])
    )
    samples = int(values["samples"])
    return TrainConfig(
        task=values["task"],
        params=params,
        samples=samples,
        units=int(values["units"]),
        epochs=int(values["epochs"]),
        batch_size=min(64, samples),
        learning_rate=float(values["learning_rate"]),
        seed=int(values["seed"]),
        target_delay=int(values["target_delay"]),
        match_params=bool(values["match_params"]),
    )


# --- the job ----------------------------------------------------------------------------------


def _start(config: TrainConfig) -> None:
    """Button callback: submit a training job for this session (one at a time)."""
    old: Job | None = st.session_state.get(JOB_KEY)
    if old is not None and old.active:
        return
    st.session_state.pop(NOTICE_KEY, None)
    st.session_state[JOB_KEY] = worker_pool().submit("train", config)


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
    job: Job | None = st.session_state.get(JOB_KEY)
    if job is None or job.active:
        return
    del st.session_state[JOB_KEY]
    if job.state == JobState.DONE:
        result: TrainResult = job.result
        st.session_state[RESULT_KEY] = result
        st.session_state.setdefault(RUNS_KEY, []).append(run_summary(result))
        return
    if isinstance(job.error, WorkerLost):
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
    else:
        st.info(text, icon=":material/info:")


@st.fragment(run_every=POLL_SECONDS)
def live_panel() -> None:
    """Progress bar, queue position and live curves; polls the job until it ends."""
    job: Job | None = st.session_state.get(JOB_KEY)
    if job is None:
        return
    if not job.active:
        st.rerun()  # the whole page: show the results
    job.touch()  # heartbeat: this session is still watching
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
    p = live.progress
    stopping = " — stopping…" if job.stop_requested else ""
    st.progress(
        p.fraction,
        text=f"Epoch {p.epoch}/{p.epochs} · batch {p.batch}/{p.batches} · {p.seconds:.1f} s{stopping}",
    )
    st.plotly_chart(live_figure(list(live.points), p.history), key="tl_live_chart")


# --- results ----------------------------------------------------------------------------------


def sample_table(result: TrainResult, names: tuple[str, str]) -> pd.DataFrame:
    """The sample sequence: input, target, and each model's answer marked ✓ or ✗."""
    x, y, mask = result.sample.x[0], result.sample.y[0], result.sample.mask[0]
    columns = [f"t={t}" for t in range(len(x))]
    rows: dict[str, list[str]] = {"input token": [str(v) for v in x]}
    if result.config.task_obj.per_step:
        rows["target"] = [str(v) if m else "–" for v, m in zip(y, mask, strict=True)]
        for name, pred in ((names[0], result.pred_bi[0]), (names[1], result.pred_uni[0])):
            rows[name] = [
                "–" if not m or p < 0 else f"{p} {'✓' if p == v else '✗'}"
                for p, v, m in zip(pred, y, mask, strict=True)
            ]
        return pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    answers = {
        "target": str(int(y)),
        names[0]: f"{int(result.pred_bi[0])} {'✓' if result.pred_bi[0] == y else '✗'}",
        names[1]: f"{int(result.pred_uni[0])} {'✓' if result.pred_uni[0] == y else '✗'}",
    }
    for label, text in answers.items():
        table.loc[label] = [text] + [""] * (len(columns) - 1)
    return table


def run_summary(result: TrainResult) -> dict[str, Any]:
    """One row of the "runs this session" table."""
    config = result.config
    return {
        "task": config.task_obj.name,
        "T": config.params.seq_len,
        "k": config.params.k if config.task_obj.uses_k else None,
        "delay d": config.target_delay,
        "matched": config.match_params,
        "LSTM units": result.units_uni,
        "LSTM params": result.params_uni,
        "BiLSTM params": result.params_bi,
        "LSTM acc": round(result.acc_uni, 3),
        "BiLSTM acc": round(result.acc_bi, 3),
        "epochs": result.epochs_done,
        "seconds": round(result.seconds, 1),
    }


def render_results(result: TrainResult) -> None:
    """Everything shown after a run (from the session's stored result)."""
    names = explain.variant_names(result.config)
    task = result.config.task_obj
    st.subheader(f"Results · {task.name}")
    cols = st.columns(3)
    cols[0].metric(f"{names[0]} held-out accuracy", f"{result.acc_bi:.1%}")
    cols[1].metric(f"{names[1]} held-out accuracy", f"{result.acc_uni:.1%}")
    cols[2].metric("Chance level", f"{result.chance:.1%}")
    cols = st.columns(3)
    cols[0].metric(f"{names[0]} parameters", f"{result.params_bi:,}")
    cols[1].metric(
        f"{names[1]} parameters",
        f"{result.params_uni:,}",
        help=f"{result.units_uni} units per layer"
        + (" (widened to match the parameter budget)" if result.config.match_params else ""),
    )
    cols[2].metric(
        "Training time",
        f"{result.seconds:.1f} s",
        help=f"{result.epochs_done} epoch(s), ended: {result.reason}",
    )
    st.markdown("#### Verdict")
    st.success("\n".join(f"- {line}" for line in explain.verdict(result)))
    if result.step_acc_uni is not None:
        st.markdown("#### Accuracy at each time step")
        st.caption(
            "Shaded steps: the answer is (at least partly) still in the future. The dashed line "
            "is the best any model reading left to right could do there, computed from the "
            "task's rule."
        )
        st.plotly_chart(step_accuracy_figure(result, names), key="tl_step_chart")
    st.markdown("#### One held-out sequence")
    st.dataframe(sample_table(result, names), key="tl_sample")
    st.markdown(f"#### Inside the {names[0]}: hidden states on that sequence")
    st.caption(
        "Each column is a time step. The forward direction at t has read tokens 0…t, the "
        "backward direction has read t…T−1 — so the answer that lies ahead is already in the "
        "backward state at t. The output layer reads both."
    )
    st.plotly_chart(hidden_state_figure(result), key="tl_hidden_chart")


def render_runs() -> None:
    """The runs of this session: the delay trade-off and the parameter-matched comparison."""
    runs: list[dict[str, Any]] = st.session_state.get(RUNS_KEY, [])
    if not runs:
        return
    st.markdown("#### Runs this session")
    st.caption(
        "Try the target-delay trade-off: on look-ahead, run with d = 0, then d = k. With "
        "d ≥ k the LSTM catches up — but it answers d steps late. Toggle 'Parameter-matched "
        "LSTM' to rule out the BiLSTM's extra weights as the reason it wins."
    )
    st.dataframe(pd.DataFrame(runs), hide_index=True, key="tl_runs")
    if any(run["delay d"] for run in runs):
        st.plotly_chart(delay_figure(runs), key="tl_delay_chart")


def render_page() -> None:
    """The whole Training Lab page."""
    st.title("Training Lab")
    st.caption(
        "Train a plain LSTM and a BiLSTM on the same batches, and see which time steps the "
        "future context helps with."
    )
    with st.sidebar:
        st.header("Task and model")
        values = controls()
    describe_task(values["task"])
    config: TrainConfig | None
    try:
        config = build_config(values)
    except InputError as error:
        show_input_error(error)
        config = None
    _collect_finished_job()
    job: Job | None = st.session_state.get(JOB_KEY)
    running = job is not None and job.active
    cols = st.columns([1, 1, 6])
    cols[0].button(
        "Train",
        type="primary",
        key="tl_train",
        disabled=config is None or running,
        on_click=_start,
        args=(config,),
    )
    cols[1].button("Stop", key="tl_stop", disabled=not running, on_click=_stop)
    _show_notice()
    if running:
        live_panel()
    result: TrainResult | None = st.session_state.get(RESULT_KEY)
    if result is not None:
        render_results(result)
    render_runs()
