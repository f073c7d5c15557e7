"""The Training Lab page: pick a task, train LSTM and BiLSTM side by side, see where they differ.

Training runs on a background thread owned by the browser session (`bilstm_lab.slots.Job`), so
the script run is never blocked: a fragment polls the job every 1.5 s to draw live curves,
the Stop button is handled at once, and the process-wide slots bound how many trainings run.
Results (and the trained models) are kept in ``st.session_state`` so they survive reruns.

TensorFlow is imported lazily (inside the functions that need it) so the controls paint first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from bilstm_lab.core.spec import SpecError
from bilstm_lab.core.tasks import TASKS, TaskParams, get_task
from bilstm_lab.slots import SLOTS, Job, JobState
from bilstm_lab.ui.common import show_input_error

if TYPE_CHECKING:
    from bilstm_lab.training.loop import EpochRecord, Progress, TrainConfig, TrainResult

JOB_KEY = "training_lab_job"
RESULT_KEY = "training_lab_result"
RUNS_KEY = "training_lab_runs"
# Each poll is a script run plus Streamlit's gc.collect(2) (~0.25 s of GIL): keep it rare.
POLL_SECONDS = 1.5

UNI_COLOR = "#d62728"  # red: the model that reads left to right only
BI_COLOR = "#1f77b4"  # blue: the model that reads both ways
CEILING_COLOR = "#7f7f7f"


@dataclass
class LiveState:
    """What the training thread reports: the last progress and the loss curve so far."""

    progress: Progress
    points: list[tuple[float, float, float]]  # (epoch position, loss LSTM, loss BiLSTM)


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
        SpecError: naming the first bad field.
    """
    from bilstm_lab.training.loop import TrainConfig

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
    """Button callback: start a training job for this session."""
    from bilstm_lab.training.loop import train

    old = st.session_state.get(JOB_KEY)
    if old is not None and old.active:
        return
    points: list[tuple[float, float, float]] = []

    def work(should_stop: Any, report: Any) -> TrainResult:
        def on_progress(progress: Progress) -> None:
            position = progress.epoch - 1 + progress.batch / progress.batches
            points.append((position, progress.loss_uni, progress.loss_bi))
            report(LiveState(progress, list(points)))

        return train(config, on_progress=on_progress, should_stop=should_stop)

    st.session_state[JOB_KEY] = Job(work).start()


def _stop() -> None:
    """Button callback: stop this session's job."""
    job = st.session_state.get(JOB_KEY)
    if job is not None:
        job.stop()


def _collect_finished_job() -> None:
    """Move a finished job's result into the session (or show why it failed)."""
    job: Job | None = st.session_state.get(JOB_KEY)
    if job is None or job.active:
        return
    del st.session_state[JOB_KEY]
    if job.state == JobState.DONE:
        result: TrainResult = job.result
        st.session_state[RESULT_KEY] = result
        st.session_state.setdefault(RUNS_KEY, []).append(run_summary(result))
    elif job.state == JobState.FAILED:
        if isinstance(job.error, ValueError):
            show_input_error(job.error)
        else:
            st.error(f"Training failed: {type(job.error).__name__}: {job.error}")
    else:
        st.info("The training left the queue before it started (stopped, or waited too long).")


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
        position = job.position()
        st.info(
            f"⏳ Waiting for a free training slot — you are number {position} in the queue "
            f"({SLOTS.running} of {SLOTS.capacity} slots busy)."
        )
        return
    live: LiveState | None = job.progress
    if live is None:
        st.progress(0.0, text="Starting: building both models and compiling the training step…")
        return
    p = live.progress
    stopping = " — stopping…" if job.stop_requested else ""
    st.progress(
        p.fraction,
        text=f"Epoch {p.epoch}/{p.epochs} · batch {p.batch}/{p.batches} · {p.seconds:.1f} s{stopping}",
    )
    st.plotly_chart(live_figure(live.points, p.history), key="tl_live_chart")


# --- figures ----------------------------------------------------------------------------------


def live_figure(
    points: list[tuple[float, float, float]], history: tuple[EpochRecord, ...] | list[EpochRecord]
) -> go.Figure:
    """Loss per batch group and held-out accuracy per epoch, for both variants."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Training loss", "Held-out accuracy"))
    if points:
        xs = [pt[0] for pt in points]
        fig.add_trace(
            go.Scatter(x=xs, y=[pt[1] for pt in points], name="LSTM", line={"color": UNI_COLOR}),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(x=xs, y=[pt[2] for pt in points], name="BiLSTM", line={"color": BI_COLOR}),
            1,
            1,
        )
    if history:
        epochs = [h.epoch for h in history]
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=[h.val_acc_uni for h in history],
                name="LSTM (held-out)",
                mode="lines+markers",
                line={"color": UNI_COLOR},
                showlegend=False,
            ),
            1,
            2,
        )
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=[h.val_acc_bi for h in history],
                name="BiLSTM (held-out)",
                mode="lines+markers",
                line={"color": BI_COLOR},
                showlegend=False,
            ),
            1,
            2,
        )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=320, margin={"t": 40, "b": 40, "l": 40, "r": 20})
    return fig


def step_accuracy_figure(result: TrainResult, names: tuple[str, str]) -> go.Figure:
    """Held-out accuracy at each time step, with the causal ceiling and chance level."""
    assert result.step_acc_uni is not None and result.step_acc_bi is not None
    steps = list(range(len(result.step_acc_bi)))
    fig = go.Figure()
    if result.ceiling is not None:
        ceiling = result.ceiling
        for t in steps:
            if not np.isnan(ceiling[t]) and ceiling[t] < 0.999:
                # Shade the steps whose answer is (at least partly) still in the future.
                fig.add_vrect(
                    x0=t - 0.5, x1=t + 0.5, fillcolor="#ffe9a8", opacity=0.5, line_width=0
                )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=_nan_to_none(ceiling),
                name="best any left-to-right model can do",
                mode="lines",
                line={"color": CEILING_COLOR, "dash": "dash", "shape": "hvh"},
            ),
        )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=_nan_to_none(result.step_acc_bi),
            name=names[0],
            mode="lines+markers",
            line={"color": BI_COLOR, "width": 3},
        ),
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=_nan_to_none(result.step_acc_uni),
            name=names[1],
            mode="lines+markers",
            line={"color": UNI_COLOR, "width": 3},
        ),
    )
    fig.add_hline(
        y=result.chance,
        line_dash="dot",
        line_color="#444",
        annotation_text=f"chance {result.chance:.0%}",
        annotation_position="bottom right",
    )
    fig.update_layout(
        height=380,
        xaxis={"title": "time step t (label position)", "dtick": 1},
        yaxis={"title": "held-out accuracy", "range": [0, 1.05], "tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.12},
        margin={"t": 40, "b": 40, "l": 50, "r": 20},
    )
    return fig


def hidden_state_figure(result: TrainResult) -> go.Figure:
    """Heatmaps of the BiLSTM's forward and backward hidden states on the sample."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.08,
        subplot_titles=(
            "forward direction (has read tokens 0…t)",
            "backward direction (has read tokens t…T−1)",
        ),
    )
    for col, states in ((1, result.hidden_forward), (2, result.hidden_backward)):
        fig.add_trace(
            go.Heatmap(
                z=states.T,
                zmin=-1,
                zmax=1,
                colorscale="RdBu",
                showscale=col == 2,
                x=list(range(states.shape[0])),
                hovertemplate="t=%{x} unit=%{y}: %{z:.2f}<extra></extra>",
            ),
            1,
            col,
        )
    fig.update_xaxes(title_text="time step t", dtick=2)
    fig.update_yaxes(title_text="unit", row=1, col=1)
    fig.update_layout(height=330, margin={"t": 40, "b": 40, "l": 50, "r": 20})
    return fig


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]


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
    from bilstm_lab.training.loop import variant_names, verdict

    names = variant_names(result.config)
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
    st.success("\n".join(f"- {line}" for line in verdict(result)))
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


def delay_figure(runs: list[dict[str, Any]]) -> go.Figure:
    """The target-delay trade-off from this session's runs: LSTM accuracy against its latency."""
    fig = go.Figure()
    frame = pd.DataFrame(runs)
    for (task, k), group in frame.groupby(["task", "k"], dropna=False, sort=False):
        group = group.sort_values("delay d")
        label = task if pd.isna(k) else f"{task}, k={int(k)}"
        fig.add_trace(
            go.Scatter(
                x=group["delay d"].tolist(), y=group["LSTM acc"].tolist(), mode="lines+markers",
                name=f"LSTM · {label}", line={"color": UNI_COLOR},
            )
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=group["delay d"].tolist(), y=group["BiLSTM acc"].tolist(), mode="markers",
                name=f"BiLSTM (no delay) · {label}", marker={"color": BI_COLOR, "symbol": "diamond"},
            )
        )  # fmt: skip
    fig.update_layout(
        title="Target delay: the LSTM's accuracy against how many steps late it answers",
        xaxis={"title": "delay d (steps of latency)", "dtick": 1},
        yaxis={"title": "held-out accuracy", "range": [0, 1.05], "tickformat": ".0%"},
        height=340,
        margin={"t": 50, "b": 40, "l": 50, "r": 20},
    )
    return fig


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
    except SpecError as error:
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
    if running:
        live_panel()
    result: TrainResult | None = st.session_state.get(RESULT_KEY)
    if result is not None:
        render_results(result)
    render_runs()
