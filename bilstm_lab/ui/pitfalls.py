"""The Pitfalls page: short cards, each with a live computation and its numbers.

The computations (`bilstm_lab.models.demos`) run in the worker pool, never in this process:
each card is one ``"pitfall"`` job whose result is a pure value from
`bilstm_lab.core.pitfall_results`. The six cards computed on arrival are submitted at once and
each is drawn as soon as its result comes back; the leakage card trains only when asked.
Results are pure, immutable and seeded, so ``st.cache_data`` shares them between sessions,
keyed by demonstration name and arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.formatting import (
    fmt,
    format_shape_runs,
    percent,
    shape_text,
    small_difference,
)
from bilstm_lab.core.pitfall_results import (
    LastStepDemo,
    LeakageDemo,
    OutputsDemo,
    PaddingDemo,
    ParamRow,
    StackedDemo,
    StackingDemo,
)
from bilstm_lab.ui import display
from bilstm_lab.ui.pool import worker_pool
from bilstm_lab.workers.errors import WorkerLost
from bilstm_lab.workers.job import Job, JobState

#: A demonstration's keyword arguments as a hashable cache key: ``(("seed", 0),)``.
Args = tuple[tuple[str, Any], ...]

#: The leakage card's training run (the only card with an argument the page sets).
LEAKAGE_ARGS: Args = (("seed", 0),)

#: Card 1's table: sample 0's backward half at the last step, the backward layer run on the last
#: token alone, and the backward half of the real summary.
LAST_STEP_COLUMNS = (
    "backward half at the last step",
    "last token alone",
    "real summary (backward)",
)
#: Card 7's table: each model, what it saw when its next-token accuracy was measured.
LEAKAGE_COLUMNS = ("model", "what it saw", "next-token accuracy")
SAW_WHOLE = "the whole sequence, as in training"
SAW_PREFIX = "only the prefix, as a generator does"
SAW_WHOLE_CAUSAL = "the whole sequence (it reads only the past)"

#: Icon of a card's error message.
ERROR_ICON = ":material/error:"
#: Session key of the jobs this session has in flight, by ``(name, args)``: a rerun (the
#: leakage button) picks them up instead of submitting them again.
JOBS_KEY = "pitfalls_jobs"
#: Session key of the leakage card's result (trained on demand).
LEAKAGE_KEY = "pitfalls_leakage"


class _Pending(Exception):
    """Raised inside `_cached_demo` to submit a job without waiting for it.

    ``st.cache_data`` stores nothing when the function raises, so the key stays uncomputed
    and the job is finished later with `_finish`.
    """

    def __init__(self, job: Job) -> None:
        super().__init__(job.name)
        self.job = job


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_demo(name: str, args: Args, _compute: Callable[[], Any]) -> Any:
    # Keyed on (name, args) only: Streamlit does not hash a parameter named with a leading
    # underscore. `_compute` submits (`_Pending`) or waits for the job that computes it.
    return _compute()


def _start(name: str, args: Args = ()) -> Any:
    """The cached result for ``(name, args)``, or the `Job` computing it (submitted if needed).

    A job this session submitted on an earlier run is reused unless it failed, so a rerun
    neither duplicates work nor leaves it unwatched.
    """
    jobs: dict[tuple[str, Args], Job] = st.session_state.setdefault(JOBS_KEY, {})

    def submit_only() -> Any:
        job = jobs.get((name, args))
        if job is None or job.state in (JobState.FAILED, JobState.CANCELLED):
            job = jobs[name, args] = worker_pool().submit("pitfall", (name, dict(args)))
        raise _Pending(job)

    try:
        return _cached_demo(name, args, submit_only)
    except _Pending as pending:
        return pending.job


def _finish(name: str, args: Args, started: Any) -> Any:
    """The result `_start` returned, or its job's (waited for, then cached).

    Raises:
        WorkerLost: the job's worker process died.
        Exception: what the job raised, or `JobCancelled` when it never ran.
    """
    if not isinstance(started, Job):
        return started
    result = _cached_demo(name, args, started.wait)
    st.session_state.get(JOBS_KEY, {}).pop((name, args), None)
    return result


def card_last_step(demo: LastStepDemo) -> None:
    """Pitfall 1: ``out[:, -1, :]`` of a bidirectional sequence."""
    st.markdown(
        "In a bidirectional **sequence** output, the backward half at the last step has read "
        "**one token**. Taking `out[:, -1, :]` throws away the backward direction's summary."
    )
    a, b = st.columns(2)
    a.metric("max |Δ| vs last token alone", small_difference(demo.last_vs_one_token))
    b.metric("max |Δ| vs the real summary", small_difference(demo.last_vs_summary))
    # A table that wraps its headers: a column never runs past the card's edge.
    st.table(
        pd.DataFrame(
            dict(
                zip(
                    LAST_STEP_COLUMNS,
                    (demo.last_step_backward, demo.backward_on_last_token, demo.summary_backward),
                    strict=True,
                )
            )
        ).style.format("{:.4f}"),  # numbers stay numbers: right-aligned, signs in line
        hide_index=True,
    )
    st.caption("Sample 0's backward values; the first column is `seq[0, -1, u:]`.")
    torch_side = demo.torch
    if torch_side.computed:
        st.markdown(
            f"**PyTorch, the `batch_first` slip** (`batch_first=False`): `out[:, -1, :]` has "
            f"shape {shape_text(torch_side.slip_shape)}, just as intended, so nothing fails — "
            f"but sample 0's result moved by "
            f"**{small_difference(torch_side.slip_leaks_across_batch or 0.0)}** when only sample 1 changed: "
            "the batch was read as time."
        )
    else:
        st.markdown(
            f"**PyTorch, the `batch_first` slip** (`batch_first=False`, shape arithmetic — torch "
            f"is not installed): input {shape_text(torch_side.input_shape)} is read as "
            f"(T, batch, d), and `out[:, -1, :]` still has the intended shape "
            f"{shape_text(torch_side.slip_shape)}, so nothing fails while samples get mixed."
        )
    st.markdown(
        "**Right:** Keras `return_sequences=False`; PyTorch `torch.cat([h_n[-2], h_n[-1]], -1)`."
    )


def card_outputs(demo: OutputsDemo) -> None:
    """Pitfall 2: merge_mode=None and return_state."""
    st.markdown(
        "`merge_mode=None` hands back forward and backward separately; `return_state=True` adds "
        "each direction's states, **never merged**."
    )
    rows = [
        ("Bi(LSTM), return_state", demo.lstm_state_shapes),
        ("Bi(GRU), return_state", demo.gru_state_shapes),
        ("merge_mode=None", demo.none_shapes),
    ]
    st.markdown(
        "\n".join(
            f"- `{name}` → **{len(shapes)}** tensors: {format_shape_runs(shapes)}"
            for name, shapes in rows
        )
    )
    st.markdown(
        f"`merge_mode=None` with `return_state=True`: **{demo.none_state_count}** tensors. "
        f"The merged output equals concat(h→, h←): Δ = {small_difference(demo.output_is_states)}."
    )


def card_stacking(demo: StackingDemo) -> None:
    """Pitfall 3: stacking needs return_sequences=True."""
    st.markdown(
        f"Without it the lower layer outputs {shape_text(demo.wrong_lower_shape)} — no time "
        "axis — and Keras refuses the next layer:"
    )
    st.code(demo.error, language="text", wrap_lines=True)
    st.markdown(
        f"With it: {shape_text(demo.right_lower_shape)} → next BiLSTM → "
        f"{shape_text(demo.right_output_shape)}."
    )


def card_padding(demo: PaddingDemo) -> None:
    """Pitfall 4: post-padding without a mask."""
    st.markdown(
        f"Tokens {list(demo.tokens)} post-padded to {list(demo.padded)}. Without "
        "`mask_zero=True` the backward LSTM reads the **pads first**, the forward one after."
    )
    a, b, c = st.columns(3)
    a.metric(
        "|Δ| masked", small_difference(demo.masked_vs_unpadded), help="vs the unpadded sequence"
    )
    b.metric(
        "|Δ| no mask, ←", small_difference(demo.unmasked_backward_vs_unpadded), help="backward half"
    )
    c.metric(
        "|Δ| no mask, →", small_difference(demo.unmasked_forward_vs_unpadded), help="forward half"
    )
    st.caption("max |difference| from the unpadded sequence's output")
    st.markdown("**Right:** `Embedding(..., mask_zero=True)` (or a `Masking` layer).")


def card_params(demo: tuple[tuple[ParamRow, ...], bool]) -> None:
    """Pitfall 5: Keras vs PyTorch parameter counts."""
    rows, used_torch = demo
    st.markdown(
        "PyTorch keeps two bias vectors (`b_ih`, `b_hh`); Keras's LSTM keeps one. Keras's GRU "
        "defaults to `reset_after=True` — two biases — and then they agree. One direction, "
        "d = 8, u = 16:"
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "layer": row.layer,
                    "Keras": fmt(row.keras_params),
                    "PyTorch": fmt(row.torch_params),
                    "difference": fmt(row.torch_params - row.keras_params),
                }
                for row in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    source = "real torch" if used_torch else "the formula (torch is not installed)"
    extra = fmt(rows[0].torch_params - rows[0].keras_params)
    st.markdown(f"Keras LSTM: `{rows[0].formula}`; PyTorch's second bias adds `{extra}`.")
    st.caption(f"Keras column: real `count_params()`; PyTorch column: {source}.")


def card_stacked(demo: StackedDemo) -> None:
    """Pitfall 6: a stacked BiLSTM's second layer more than doubles."""
    st.markdown(
        "A common claim: a stacked BiLSTM's parameters are “doubled for each layer”. "
        "The second layer's input is the first's concatenated output — twice as wide:"
    )
    # A table that wraps its headers: six columns fit the half-width card on a projector.
    st.table(
        pd.DataFrame(
            [
                {
                    "layer": name,
                    "input width": f"{uni_w} → {bi_w}",
                    "LSTM": fmt(uni),
                    "BiLSTM": fmt(bi),
                    "ratio": f"{bi / uni:.2f}×",
                    # Keras's own count_params() gives the lab's counts (not: agrees with "2×").
                    "matches Keras": "yes" if (k_uni, k_bi) == (uni, bi) else "no",
                }
                for name, uni, bi, k_uni, k_bi, uni_w, bi_w in demo.rows
            ]
        ),
        hide_index=True,
    )
    st.caption(
        "input width: LSTM → BiLSTM; matches Keras: both counts equal real `count_params()`."
    )
    name, uni, bi, *_ = demo.rows[-1]
    st.markdown(f"**Right:** count the input width: `{name}` is **{bi / uni:.2f}×**, not 2×.")


def leakage_intro() -> bool:
    """Pitfall 7's text and button; whether the button was pressed."""
    st.markdown(
        "Trained for next-token prediction on **random** tokens (nothing to learn), a BiLSTM "
        "looks brilliant: its backward direction has already *read* the next token. A generator "
        "only ever has the prefix."
    )
    return st.button("Train the two tiny models (about 20 s)", key="pitfalls_train")


def card_leakage(train: bool) -> None:
    """Pitfall 7: future leakage in next-token prediction, trained when ``train`` is set."""
    if train:
        with st.spinner("Training an LSTM and a BiLSTM on next-token prediction…"):
            try:
                result = _finish("leakage", LEAKAGE_ARGS, _start("leakage", LEAKAGE_ARGS))
            except WorkerLost:
                st.error(explain.PITFALL_INTERRUPTED, icon=ERROR_ICON)
                return
            except Exception as error:  # the job's own error: shown on this card only
                st.error(explain.pitfall_failed(error), icon=ERROR_ICON)
                return
            st.session_state[LEAKAGE_KEY] = result
    demo: LeakageDemo | None = st.session_state.get(LEAKAGE_KEY)
    if demo is None:  # the button above says what pressing it does
        return
    # A table, not metrics: each row names its model and what it saw (a metric's label is cut
    # short in a third of a half-width card).
    st.table(
        pd.DataFrame(
            [
                ("BiLSTM", SAW_WHOLE, percent(demo.teacher_forced_bi)),
                ("BiLSTM", SAW_PREFIX, percent(demo.generation_bi)),
                ("LSTM", SAW_WHOLE_CAUSAL, percent(demo.teacher_forced_uni)),
            ],
            columns=list(LEAKAGE_COLUMNS),
        ),
        hide_index=True,
    )
    perfect = sum(1 for v in demo.per_step_bi[:-1] if v > 0.95)
    st.markdown(
        f"Chance is **{percent(demo.chance)}**. The BiLSTM is ≥ 95% right at {perfect} of "
        f"{len(demo.per_step_bi)} steps — all but the last, whose next token is not in the "
        f"input ({percent(demo.per_step_bi[-1])}). The BiLSTM, generating after "
        f"{list(demo.sample_prompt)}, writes **{list(demo.sample_generated)}**; the truth is "
        f"{list(demo.sample_truth)}."
    )
    st.markdown("**Right:** generate with a causal (unidirectional) model.")


#: The cards in page order: (demonstration name, title, how to draw its result). The leakage
#: card comes last and is drawn apart (its demonstration runs only when asked).
CARDS: tuple[tuple[str, str, Callable[[Any], None]], ...] = (
    ("last_step", "1 · The last step is not the summary", card_last_step),
    ("outputs", "2 · How many tensors come back?", card_outputs),
    ("stacking", "3 · Stacking needs return_sequences=True", card_stacking),
    ("padding", "4 · Padding without a mask", card_padding),
    ("params", "5 · Keras ≠ PyTorch parameter counts", card_params),
    ("stacked", "6 · “Doubled”? Not above the first layer", card_stacked),
)
LEAKAGE_TITLE = "7 · A BiLSTM can't predict the next token"


def _draw(name: str, started: Any, draw: Callable[[Any], None]) -> None:
    """Draw one computed card into the current container, or its error."""
    try:
        demo = _finish(name, (), started)
    except WorkerLost:
        st.error(explain.PITFALL_INTERRUPTED, icon=ERROR_ICON)
        return
    except Exception as error:  # one broken card must not hide the others
        st.error(explain.pitfall_failed(error), icon=ERROR_ICON)
        return
    try:
        draw(demo)
    except Exception as error:
        st.error(explain.pitfall_failed(error), icon=ERROR_ICON)


def render() -> None:
    """Draw the Pitfalls page: a grid of cards, two per row, each filled as its result arrives."""
    st.title("Pitfalls: the classic BiLSTM mistakes, live")
    st.caption(
        "Every number below is computed now, by real Keras (and PyTorch when installed), on tiny "
        "models whose random weights are fixed: the same numbers on every visit."
    )
    # Every job is submitted before any is waited for: the pool runs them side by side.
    started = {name: _start(name) for name, _, _ in CARDS}
    titles = [title for _, title, _ in CARDS] + [LEAKAGE_TITLE]
    slots: list[Any] = []
    for start in range(0, len(titles), 2):
        for column, title in zip(st.columns(2), titles[start : start + 2], strict=False):
            with column:
                box = st.container(border=True)
                box.subheader(title)
                slots.append(box)
    with slots[-1]:
        # A locked link has no button to press (it is hidden): the card trains by itself.
        train = leakage_intro() or display.locked()
        leakage_body = st.empty()
    waiting = {name: box.empty() for (name, _, _), box in zip(CARDS, slots, strict=False)}
    for name in waiting:
        if isinstance(started[name], Job):
            with waiting[name]:
                st.caption("Computing with Keras…")
    draws = {name: draw for name, _, draw in CARDS}
    # Fill each card as soon as its job ends, in whatever order they end.
    while waiting:
        ended = [
            name
            for name in waiting
            if not isinstance(started[name], Job) or not started[name].active
        ]
        for name in ended:
            with waiting.pop(name).container():
                _draw(name, started[name], draws[name])
        pending = [started[name] for name in waiting]
        for job in pending:
            job.touch()  # the page is still watching: queued jobs are not abandoned
        if pending:
            pending[0].join(0.2)
    # Last: its training must not keep the other cards' queued jobs unwatched.
    with leakage_body.container():
        card_leakage(train)
