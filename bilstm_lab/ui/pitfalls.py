"""The Pitfalls page: short cards, each with a live computation and its numbers.

The computations live in `bilstm_lab.models.demos`. Their results are pure, immutable and seeded,
so ``st.cache_data`` may share them between sessions; no model object is cached.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from bilstm_lab.core.analysis import fmt


def _shape(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _shape_list(shapes: tuple[tuple[int | None, ...], ...]) -> str:
    """``(2, 8), 4 × (2, 4)``: repeated shapes counted, so a card line stays short."""
    parts: list[str] = []
    index = 0
    while index < len(shapes):
        run = 1
        while index + run < len(shapes) and shapes[index + run] == shapes[index]:
            run += 1
        parts.append(_shape(shapes[index]) if run == 1 else f"{run} × {_shape(shapes[index])}")
        index += run
    return ", ".join(parts)


def _num(value: float) -> str:
    """A max-difference figure: exact zero reads as 0, the rest with 3 significant digits."""
    return "0" if value == 0 else f"{value:.2g}"


@st.cache_data(show_spinner=False)
def _last_step() -> Any:
    from bilstm_lab.models.demos import last_step_demo

    return last_step_demo()


@st.cache_data(show_spinner=False)
def _outputs() -> Any:
    from bilstm_lab.models.demos import outputs_demo

    return outputs_demo()


@st.cache_data(show_spinner=False)
def _stacking() -> Any:
    from bilstm_lab.models.demos import stacking_demo

    return stacking_demo()


@st.cache_data(show_spinner=False)
def _padding() -> Any:
    from bilstm_lab.models.demos import padding_demo

    return padding_demo()


@st.cache_data(show_spinner=False)
def _params() -> Any:
    from bilstm_lab.models.demos import param_counts

    return param_counts()


@st.cache_data(show_spinner=False)
def _stacked() -> Any:
    from bilstm_lab.models.demos import stacked_demo

    return stacked_demo()


@st.cache_data(show_spinner=False, max_entries=4)
def _leakage(seed: int) -> Any:
    from bilstm_lab.models.demos import leakage_demo

    return leakage_demo(seed=seed)


def card_last_step() -> None:
    """Pitfall 1: ``out[:, -1, :]`` of a bidirectional sequence."""
    demo = _last_step()
    st.subheader("1 · The last step is not the summary")
    st.markdown(
        "In a bidirectional **sequence** output, the backward half at the last step has read "
        "**one token**. Taking `out[:, -1, :]` throws away the backward direction's summary."
    )
    a, b = st.columns(2)
    a.metric("max |Δ| vs last token alone", _num(demo.last_vs_one_token))
    b.metric("max |Δ| vs the real summary", _num(demo.last_vs_summary))
    st.dataframe(
        pd.DataFrame(
            {
                "seq[0, -1, u:]": demo.last_step_backward,
                "last token alone": demo.backward_on_last_token,
                "real summary (backward)": demo.summary_backward,
            }
        ).round(4),
        hide_index=True,
        width="stretch",
    )
    torch_side = demo.torch
    if torch_side.computed:
        st.markdown(
            f"**PyTorch, seed 004's slip** (`batch_first=False`): `out[:, -1, :]` has shape "
            f"{_shape(torch_side.slip_shape)}, just as intended, so nothing fails — but sample 0's "
            f"result moved by **{_num(torch_side.slip_leaks_across_batch or 0.0)}** when only "
            "sample 1 changed: the batch was read as time."
        )
    else:
        st.markdown(
            f"**PyTorch, seed 004's slip** (`batch_first=False`, shape arithmetic — torch is not "
            f"installed): input {_shape(torch_side.input_shape)} is read as (T, batch, d), and "
            f"`out[:, -1, :]` still has the intended shape {_shape(torch_side.slip_shape)}, so "
            "nothing fails while samples get mixed."
        )
    st.markdown(
        "**Right:** Keras `return_sequences=False`; PyTorch `torch.cat([h_n[-2], h_n[-1]], -1)`."
    )


def card_outputs() -> None:
    """Pitfall 2: merge_mode=None and return_state."""
    demo = _outputs()
    st.subheader("2 · None → 2 tensors; return_state → 5")
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
            f"- `{name}` → **{len(shapes)}** tensors: {_shape_list(shapes)}"
            for name, shapes in rows
        )
    )
    st.markdown(
        f"`merge_mode=None` with `return_state=True`: **{demo.none_state_count}** tensors. "
        f"The merged output equals concat(h→, h←): Δ = {_num(demo.output_is_states)}."
    )


def card_stacking() -> None:
    """Pitfall 3: stacking needs return_sequences=True."""
    demo = _stacking()
    st.subheader("3 · Stacking needs return_sequences=True")
    st.markdown(
        f"Without it the lower layer outputs {_shape(demo.wrong_lower_shape)} — no time axis — "
        "and Keras refuses the next layer:"
    )
    st.code(demo.error, language="text", wrap_lines=True)
    st.markdown(
        f"With it: {_shape(demo.right_lower_shape)} → next BiLSTM → "
        f"{_shape(demo.right_output_shape)}."
    )


def card_padding() -> None:
    """Pitfall 4: post-padding without a mask."""
    demo = _padding()
    st.subheader("4 · Padding without a mask")
    st.markdown(
        f"Tokens {list(demo.tokens)} post-padded to {list(demo.padded)}. Without "
        "`mask_zero=True` the backward LSTM reads the **pads first**, the forward one after."
    )
    a, b, c = st.columns(3)
    a.metric("|Δ| masked", _num(demo.masked_vs_unpadded), help="vs the unpadded sequence")
    b.metric("|Δ| no mask, ←", _num(demo.unmasked_backward_vs_unpadded), help="backward half")
    c.metric("|Δ| no mask, →", _num(demo.unmasked_forward_vs_unpadded), help="forward half")
    st.caption("max |difference| from the unpadded sequence's output")
    st.markdown("**Right:** `Embedding(..., mask_zero=True)` (or a `Masking` layer).")


def card_params() -> None:
    """Pitfall 5: Keras vs PyTorch parameter counts."""
    rows, used_torch = _params()
    st.subheader("5 · Keras ≠ PyTorch parameter counts")
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


def card_stacked() -> None:
    """Pitfall 6: a stacked BiLSTM's second layer more than doubles."""
    demo = _stacked()
    st.subheader("6 · “Doubled”? Not above the first layer")
    st.markdown(
        "Seed article 000 says a stacked BiLSTM's parameters are “doubled for each layer”. "
        "The second layer's input is the first's concatenated output — twice as wide:"
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "layer": name,
                    "input width": f"{uni_w} → {bi_w}",
                    "LSTM": fmt(uni),
                    "BiLSTM": fmt(bi),
                    "ratio": f"{bi / uni:.2f}×",
                    "Keras agrees": "✓" if (k_uni, k_bi) == (uni, bi) else "✗",
                }
                for name, uni, bi, k_uni, k_bi, uni_w, bi_w in demo.rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    name, uni, bi, *_ = demo.rows[-1]
    st.markdown(f"**Right:** count the input width: `{name}` is **{bi / uni:.2f}×**, not 2×.")


def card_leakage() -> None:
    """Pitfall 7: future leakage in next-token prediction."""
    st.subheader("7 · A BiLSTM can't predict the next token")
    st.markdown(
        "Trained for next-token prediction on **random** tokens (nothing to learn), a BiLSTM "
        "looks brilliant: its backward direction has already *read* the next token. A generator "
        "only ever has the prefix."
    )
    if st.button("Train the two tiny models (seeded, ~20 s)", key="pitfalls_train"):
        with st.spinner("Training an LSTM and a BiLSTM on next-token prediction…"):
            st.session_state["pitfalls_leakage"] = _leakage(0)
    demo = st.session_state.get("pitfalls_leakage")
    if demo is None:
        st.info("Press the button to train both models live.")
        return
    a, b, c = st.columns(3)
    a.metric(
        "BiLSTM: full seq",
        f"{demo.teacher_forced_bi:.0%}",
        help="teacher-forced: the whole sequence is given, as in training",
    )
    b.metric(
        "BiLSTM: prefix",
        f"{demo.generation_bi:.0%}",
        help="each next token predicted from the prefix only, as a generator must",
    )
    c.metric(
        "LSTM: honest",
        f"{demo.teacher_forced_uni:.0%}",
        help="a causal model: chance is 1/vocab on random tokens",
    )
    perfect = sum(1 for v in demo.per_step_bi[:-1] if v > 0.95)
    st.markdown(
        f"Chance is **{demo.chance:.0%}**. The BiLSTM is ≥ 95% right at {perfect} of "
        f"{len(demo.per_step_bi)} steps — all but the last, whose next token is not in the "
        f"input ({demo.per_step_bi[-1]:.0%}). Generating after {list(demo.sample_prompt)}: "
        f"**{list(demo.sample_generated)}**, truth {list(demo.sample_truth)}."
    )
    st.markdown("**Right:** generate with a causal (unidirectional) model.")


CARDS = (
    card_last_step,
    card_outputs,
    card_stacking,
    card_padding,
    card_params,
    card_stacked,
    card_leakage,
)


def render() -> None:
    """Draw the Pitfalls page: a grid of cards, two per row."""
    st.title("Pitfalls: the classic BiLSTM mistakes, live")
    st.caption(
        "Every number below is computed now, by real Keras (and PyTorch when installed) on tiny "
        "seeded models."
    )
    with st.spinner("Computing the demonstrations with Keras…"):
        for start in range(0, len(CARDS), 2):
            columns = st.columns(2)
            for column, card in zip(columns, CARDS[start : start + 2], strict=False):
                with column, st.container(border=True):
                    try:
                        card()
                    except Exception as error:  # one broken card must not hide the others
                        st.error(f"⚠️ This demonstration failed: {type(error).__name__}: {error}")
