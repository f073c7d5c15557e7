"""The Explorer's quiz mode, run headless with `streamlit.testing.v1.AppTest`.

A teacher's ``?quiz=1`` link opens straight into the quiz with every number hidden; a right
answer, a wrong one and no answer each reveal the explanation with its formula; the toggle and
the URL stay in step; bad ``?quiz=`` and answer values fall back to the default, never an error.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import compare
from bilstm_lab.core.presets import PRESETS_BY_KEY
from bilstm_lab.core.quiz import questions, spec_digest
from bilstm_lab.ui import display
from bilstm_lab.ui.quiz import TOGGLE_KEY, WIDGET_PREFIX
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")
TIMEOUT = 120  # seconds: generous, the machine is shared
SPEC = PRESETS_BY_KEY["stacked-classifier"].spec


def _app(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    shown = [*at.markdown, *at.caption, *at.info, *at.success, *at.warning, *at.code]
    return " ".join(str(element.value) for element in shown)


def _key(question_key: str, what: str) -> str:
    return f"{WIDGET_PREFIX}{spec_digest(SPEC)[:12]}_{question_key}_{what}"


def test_a_quiz_link_hides_the_numbers_and_each_reveal_explains_with_the_formula() -> None:
    at = _app(**SPEC.to_query(), quiz="1")
    params, shape, future = questions(compare(SPEC))
    assert at.toggle(key=TOGGLE_KEY).value is True
    # Hidden: no totals, tables, diagrams or code, and no count in any text (only the choices).
    assert not at.metric and not at.table and not at.code and not at.get("graphviz_chart")
    assert params.right.text not in _texts(at) and params.formula not in _texts(at)
    assert [radio.value for radio in at.radio] == [None, None, None]  # nothing preselected
    assert params.right.text in at.radio(key=_key("params", "answer")).options

    wrong = next(i for i, choice in enumerate(shape.choices) if choice.misconception)
    at.radio(key=_key("params", "answer")).set_value(params.answer)
    at.radio(key=_key("shape", "answer")).set_value(wrong)
    at.run()
    assert not at.success and not at.warning  # nothing is revealed before Reveal
    for question in (params, shape, future):
        at.button(key=_key(question.key, "reveal")).click().run()
    assert not at.exception and not at.error
    (right,) = [s.value for s in at.success]
    assert explain.QUIZ_RIGHT in right and params.formula in right
    (missed,) = [w.value for w in at.warning]
    note = explain.QUIZ_MISCONCEPTIONS[shape.choices[wrong].misconception or ""]
    assert note in missed and shape.formula in missed and shape.right.text in missed
    assert any(future.formula in info.value for info in at.info)  # revealed unanswered
    assert at.query_params[display.QUIZ_FLAG] in ("1", ["1"])

    # Another model starts a fresh quiz: nothing chosen, nothing revealed.
    at.number_input(key="ex_units_1").set_value(16).run()
    assert not at.exception and not at.success and not at.warning
    assert [radio.value for radio in at.radio] == [None, None, None]


def test_the_toggle_and_the_url_stay_in_step_and_bad_values_fall_back() -> None:
    at = _app(quiz="banana")  # a bad flag is off: the numbers show
    assert not at.error and at.metric and not at.radio
    assert at.toggle(key=TOGGLE_KEY).value is False
    at.toggle(key=TOGGLE_KEY).set_value(True).run()
    assert at.query_params[display.QUIZ_FLAG] in ("1", ["1"]) and not at.metric
    at.toggle(key=TOGGLE_KEY).set_value(False).run()
    assert display.QUIZ_FLAG not in at.query_params and at.metric


def test_an_answer_no_radio_can_hold_is_dropped_with_a_locked_link() -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params.update(SPEC.to_query(), quiz="1", lock="1")
    # A value the session could carry that no choice has (a radio's own bad index is
    # refused by Streamlit and reset by `bilstm_lab.ui.guard`).
    at.session_state[_key("params", "answer")] = 99
    at.run()
    assert not at.exception and not at.error
    assert at.radio(key=_key("params", "answer")).value is None
    assert at.toggle(key=TOGGLE_KEY).value is True  # hidden by the lock, still on


def test_a_locked_page_keeps_the_quiz_widgets_visible() -> None:
    css = display.page_css(presenter=False, lock=True)
    assert f'[class*="st-key-{WIDGET_PREFIX}"]' in css


def test_a_quiz_page_shows_the_quizs_intro_not_the_explorers() -> None:
    # The Explorer's intro speaks of numbers shown side by side; a quiz hides them.
    for query in ({"quiz": "1"}, {"quiz": "1", "lock": "1"}):
        at = AppTest.from_file(PAGE, default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        texts = " ".join(m.value for m in at.markdown)
        assert explain.EXPLORER_INTRO not in texts and explain.EXPLORER_LOCKED_INTRO not in texts
        assert "Predict, then reveal." in texts
