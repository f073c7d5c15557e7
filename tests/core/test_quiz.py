"""The quiz's questions: the right answer is the analysis engine's, every wrong one differs.

Over every preset and a few specs that make misconceptions coincide with the truth (a single
layer, merge modes that keep the width, no bias, a GRU whose PyTorch count equals Keras's, one
time step, a variable length).
"""

from __future__ import annotations

import pytest

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import compare
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.presets import PRESETS
from bilstm_lab.core.quiz import MAX_CHOICES, Question, questions, steps_needing_future
from bilstm_lab.core.spec import Cell, FeatureInput, MergeMode, ModelSpec, TokenInput

SPECS = [preset.spec for preset in PRESETS] + [
    ModelSpec(units=(8, 8, 8), merge_mode=MergeMode.AVE, input=FeatureInput(seq_len=1)),
    ModelSpec(cell=Cell.GRU, units=(12, 6), use_bias=False, return_sequences=False),
    ModelSpec(cell=Cell.GRU, units=(5,), reset_after=False, input=FeatureInput(seq_len=None)),
    ModelSpec(cell=Cell.RNN, units=(3, 4), merge_mode=MergeMode.MUL, batch_size=7),
    ModelSpec(units=(1,), return_sequences=False, return_state=True, input=TokenInput(seq_len=2)),
]
IDS = [preset.key for preset in PRESETS] + ["ave-T1", "gru-nobias", "gru-before", "rnn", "tiny"]


def _by_key(spec: ModelSpec) -> dict[str, Question]:
    return {question.key: question for question in questions(compare(spec))}


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_right_answers_are_the_analysis_numbers(spec: ModelSpec) -> None:
    comparison = compare(spec)
    quiz = _by_key(spec)
    index = 1 if spec.depth > 1 else 0
    row = comparison.bi.recurrent_rows[index]
    assert row.name in quiz["params"].prompt
    assert quiz["params"].right.value == row.params
    assert quiz["params"].right.text == fmt(row.params)
    assert quiz["params"].formula == row.formula
    top = comparison.bi.recurrent_rows[-1]
    assert top.name in quiz["shape"].prompt
    assert quiz["shape"].right.value == top.output_shapes
    assert quiz["shape"].right.text == format_shape(top.output_shapes)
    assert quiz["shape"].formula.endswith(format_shape(top.output_shapes))
    if any(spec.layer_returns_sequences(i) for i in range(spec.depth)):
        steps = spec.input.seq_len or 4  # a variable length is reasoned about at T = 4
        assert quiz["future"].right.value == steps_needing_future(steps, 2)
    else:  # one vector per sequence: both directions have read every step
        every = frozenset(range(1, (spec.input.seq_len or 4) + 1))
        assert quiz["future"].right.value == (every, every)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_wrong_choices_differ_and_explanations_hold_the_formula(spec: ModelSpec) -> None:
    for question in questions(compare(spec)):
        values = [choice.value for choice in question.choices]
        texts = [choice.text for choice in question.choices]
        assert len(set(values)) == len(values) and len(set(texts)) == len(texts)
        assert 2 <= len(question.choices) <= MAX_CHOICES
        for index, choice in enumerate(question.choices):
            assert (choice.misconception is None) == (index == question.answer)
            if choice.misconception is not None:
                assert choice.misconception in explain.QUIZ_MISCONCEPTIONS
        assert question.formula in question.explanation


def test_the_named_misconceptions_are_offered() -> None:
    stacked = next(p.spec for p in PRESETS if p.key == "stacked-classifier")
    quiz = _by_key(stacked)
    params = {c.misconception: c.value for c in quiz["params"].choices}
    row, uni_row = compare(stacked).bi.recurrent_rows[1], compare(stacked).uni.recurrent_rows[1]
    assert params["doubled"] == 2 * uni_row.params  # exactly 2× for a stacked layer
    assert params["torch"] == row.torch_params  # the PyTorch count
    shape = {c.misconception: c.text for c in quiz["shape"].choices}
    assert shape["no_concat"] == "(None, 32)"  # forgetting the concat
    basic = _by_key(next(p.spec for p in PRESETS if p.key == "features-basic"))
    # The last step of the sequence output as the summary.
    assert "last_step" in {c.misconception for c in basic["shape"].choices}
    assert "last_step_summary" in {c.misconception for c in basic["future"].choices}


def test_same_spec_same_order_and_the_order_varies_between_specs() -> None:
    assert questions(compare(SPECS[0])) == questions(compare(SPECS[0]))
    answers = {tuple(q.answer for q in questions(compare(spec))) for spec in SPECS}
    assert len(answers) > 1  # the right answer is not always in the same place
