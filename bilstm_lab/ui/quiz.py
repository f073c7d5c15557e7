"""The Explorer's quiz mode: predict, then reveal.

Quiz mode is on with ``?quiz=1`` in the URL (a teacher's link) or the page's "Quiz mode"
toggle, and the two stay in step, as presenter mode does (`bilstm_lab.ui.display`): the URL wins
when it has the flag, else the session's mode stands and the URL gets it back. With it on, the
Explorer shows the questions of `bilstm_lab.core.quiz` instead of its numbers. Answers and
reveals are per session and per spec: the widget keys carry a digest of the spec, so another
model starts a fresh quiz. With ``?lock=1`` the toggle is hidden with the other controls, while
the answers and Reveal buttons stay (`display.LOCK_KEEP_PREFIXES`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import Comparison
from bilstm_lab.core.quiz import Question, questions, spec_digest
from bilstm_lab.ui import display
from bilstm_lab.ui.common import url_flag

#: Session key of this session's quiz mode (kept across reruns and pages).
QUIZ_KEY = "quiz_on"
#: The toggle's widget key.
TOGGLE_KEY = "quiz_toggle"
#: Session key: the spec whose questions were revealed, and which (``{"spec", "revealed"}``).
REVEALED_KEY = "quiz_revealed"
#: Every answer and Reveal widget key starts with this (a locked page keeps them visible).
WIDGET_PREFIX = display.LOCK_KEEP_PREFIXES[0]
#: Choices up to this long sit side by side; longer ones (sentences, lists of shapes) stack.
SIDE_BY_SIDE_CHARS = 24


def active() -> bool:
    """Whether quiz mode is on: ``?quiz=`` when the URL has it, else the session's.

    Any value but 1/true/yes/on means off: a bad value is the default, never an error.
    """
    if display.QUIZ_FLAG in st.query_params:
        return url_flag(display.QUIZ_FLAG)
    return bool(st.session_state.get(QUIZ_KEY, False))


def _on_toggle() -> None:
    """The toggle changed: the session and the URL follow it."""
    on = st.session_state.get(TOGGLE_KEY) is True  # anything but a real True is off
    st.session_state[QUIZ_KEY] = on
    if on:
        # A fresh quiz: the answers picked before were dropped with their hidden widgets, so
        # earlier reveals would show every answer before anyone predicts.
        st.session_state.pop(REVEALED_KEY, None)
        st.query_params[display.QUIZ_FLAG] = "1"
    elif display.QUIZ_FLAG in st.query_params:
        del st.query_params[display.QUIZ_FLAG]


def render_toggle() -> bool:
    """Draw the "Quiz mode" toggle, keep the session and the URL in step; return the mode."""
    on = active()
    st.session_state[QUIZ_KEY] = on
    if on and display.QUIZ_FLAG not in st.query_params:
        st.query_params[display.QUIZ_FLAG] = "1"  # back from another page: the link says so
    if st.session_state.get(TOGGLE_KEY) != on:  # a widget value written from code is resent
        st.session_state[TOGGLE_KEY] = on
    st.toggle(explain.QUIZ_LABEL, key=TOGGLE_KEY, on_change=_on_toggle, help=explain.QUIZ_HELP)
    return on


def widget_key(digest: str, question: Question, what: str) -> str:
    """The key of one question's answer (``answer``) or Reveal button (``reveal``)."""
    return f"{WIDGET_PREFIX}{digest}_{question.key}_{what}"


def _revealed(digest: str) -> set[str]:
    """The keys of the questions revealed for this spec (another spec starts empty)."""
    state: dict[str, Any] = st.session_state.setdefault(REVEALED_KEY, {})
    if state.get("spec") != digest:
        state.clear()
        state.update(spec=digest, revealed=set())
    revealed: set[str] = state["revealed"]
    return revealed


def _valid(value: object, count: int) -> int | None:
    """An answer's index, or ``None`` for no answer and for a value no radio can hold."""
    return value if type(value) is int and 0 <= value < count else None


def _drop_bad_answer(key: str, count: int) -> None:
    # Before the radio is drawn: a hand-made value goes back to "nothing chosen".
    if key in st.session_state and _valid(st.session_state[key], count) is None:
        del st.session_state[key]


def _reveal(question: Question, picked: int | None) -> None:
    answer = explain.quiz_answer(question.right.text)
    if picked is None:
        st.info(f"{answer} {question.explanation}")
    elif picked == question.answer:
        st.success(f"**{explain.QUIZ_RIGHT}.** {answer} {question.explanation}")
    else:
        note = explain.QUIZ_MISCONCEPTIONS[question.choices[picked].misconception or "guess"]
        st.warning(f"**{explain.QUIZ_WRONG}.** {note} {answer} {question.explanation}")


def _render_question(number: int, question: Question, digest: str, revealed: set[str]) -> None:
    key = widget_key(digest, question, "answer")
    _drop_bad_answer(key, len(question.choices))
    with st.container(border=True):
        # The prompt as body text, not as the radio's small label: it must read on a projector.
        prompt = f"**{number}.** {question.prompt}"  # bold: "1. " would start a list
        st.markdown(prompt)
        texts = [choice.text for choice in question.choices]
        choices, button = st.columns([5, 1], vertical_alignment="center")
        value = choices.radio(
            prompt,
            range(len(texts)),
            index=None,  # nothing preselected: the student predicts first
            key=key,
            format_func=lambda index: texts[index],
            horizontal=max(map(len, texts)) <= SIDE_BY_SIDE_CHARS,
            label_visibility="collapsed",
            disabled=question.key in revealed,  # revealed: the prediction is over
        )
        picked = _valid(value, len(texts))
        if question.key not in revealed:
            # A callback runs before the next run draws anything: the button is gone by then.
            button.button(
                explain.QUIZ_REVEAL,
                key=widget_key(digest, question, "reveal"),
                on_click=revealed.add,
                args=(question.key,),
            )
        if question.key in revealed:
            _reveal(question, picked)


def render_quiz(comparison: Comparison) -> None:
    """The questions about ``comparison``'s spec, each with its Reveal."""
    st.markdown(explain.QUIZ_LOCKED_INTRO if display.locked() else explain.QUIZ_INTRO)
    # A short digest of the spec in every widget key: another model starts a fresh quiz.
    digest = spec_digest(comparison.spec)[:12]
    revealed = _revealed(digest)
    for number, question in enumerate(questions(comparison), start=1):
        _render_question(number, question, digest, revealed)
