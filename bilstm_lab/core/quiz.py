"""Predict, then reveal: quiz questions about a spec, with wrong choices from real misconceptions.

The right answer of every question is the analysis engine's number (`analysis.compare`); each
wrong choice is what one named misconception would give for this spec (exactly 2× for a
stacked layer, PyTorch's count, forgetting the concat, the last step of the sequence output as
its summary, ...). A misconception that happens to give the right answer for this spec is
dropped, and so is one that repeats an earlier wrong choice; plainer wrong values fill in. The
order of the choices is shuffled by a generator seeded from the spec alone, so a spec always
asks the same question the same way (a classroom sees one order) and no global random state is
touched. Pure Python: the words come from `explain`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import (
    Comparison,
    LayerRow,
    Shape,
    direction_count,
    spec_bias_vectors,
    splits_directions,
)
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import ModelSpec

#: How many choices a question offers at most (the right one and three wrong ones).
MAX_CHOICES = 4


@dataclass(frozen=True)
class Choice:
    """One answer a question offers.

    Attributes:
        value: what the answer says, comparable (a count, shapes, sets of steps).
        text: the answer as shown.
        misconception: the key of `explain.QUIZ_MISCONCEPTIONS` behind a wrong answer;
            ``None`` for the right one.
    """

    value: Hashable
    text: str
    misconception: str | None = None


@dataclass(frozen=True)
class Question:
    """One question: the prompt, its choices, which one is right, and why.

    Attributes:
        key: ``params``, ``shape`` or ``future``: unique within a quiz (widget keys use it).
        prompt: the question (Markdown).
        choices: the answers in the order shown.
        answer: the index of the right one in ``choices``.
        formula: how the right answer comes about, with the numbers substituted.
        explanation: the reveal's text (Markdown); it contains ``formula``.
    """

    key: str
    prompt: str
    choices: tuple[Choice, ...]
    answer: int
    formula: str
    explanation: str

    @property
    def right(self) -> Choice:
        """The right choice."""
        return self.choices[self.answer]


def _distinct(right: Choice, candidates: Iterable[Choice]) -> list[Choice]:
    """The right choice, then up to ``MAX_CHOICES - 1`` wrong ones: each differs from it and
    from every other choice, by value and by text."""
    kept = [right]
    for candidate in candidates:
        if len(kept) == MAX_CHOICES:
            break
        if all(candidate.value != c.value and candidate.text != c.text for c in kept):
            kept.append(candidate)
    return kept


def spec_digest(spec: ModelSpec, salt: str = "") -> str:
    """A hex digest of the spec (and ``salt``): the same in every process, unlike ``hash()``
    (string hashes change with PYTHONHASHSEED)."""
    return hashlib.sha256(f"{spec.to_json()}|{salt}".encode()).hexdigest()


def _seed(spec: ModelSpec, key: str) -> int:
    return int(spec_digest(spec, key)[:16], 16)


def _question(
    spec: ModelSpec,
    key: str,
    prompt: str,
    right: Choice,
    wrong: Iterable[Choice],
    formula: str,
    explanation: str,
) -> Question:
    choices = _distinct(right, wrong)
    random.Random(_seed(spec, key)).shuffle(choices)  # a local generator: no global state
    return Question(key, prompt, tuple(choices), choices.index(right), formula, explanation)


# --- how many parameters ------------------------------------------------------------------------


def quiz_layer_index(spec: ModelSpec) -> int:
    """The recurrent layer the parameter question asks about: the second when there is one
    (the first layer that reads a concatenated input), else the only one."""
    return 1 if spec.depth > 1 else 0


def _params_question(comparison: Comparison) -> Question:
    spec = comparison.spec
    index = quiz_layer_index(spec)
    uni_row: LayerRow = comparison.uni.recurrent_rows[index]
    row: LayerRow = comparison.bi.recurrent_rows[index]
    cell, units, width = spec.cell, spec.units[index], row.input_width
    biases = spec_bias_vectors(spec)
    directions = direction_count(True)

    def count(width: int = width, biases: int = biases, gates: int = cell.gates) -> int:
        return directions * gates * units * (width + units + biases)

    def choice(value: int, misconception: str | None = None) -> Choice:
        return Choice(value, fmt(value), misconception)

    wrong = [choice(2 * uni_row.params, "doubled")]
    if row.torch_params is not None:
        wrong.append(choice(row.torch_params, "torch"))
    wrong.append(choice(row.params // directions, "one_direction"))
    wrong.append(choice(count(biases=0), "no_bias") if biases else choice(count(biases=1), "bias"))
    wrong.append(choice(count(gates=1), "no_gates"))
    # Plain wrong values, should the misconceptions coincide with the truth for this spec.
    wrong += [choice(row.params * factor, "guess") for factor in (2, 3, 4)]
    below = spec.units[index - 1] if index else None
    return _question(
        spec,
        "params",
        explain.quiz_params_prompt(row.name),
        choice(row.params),
        wrong,
        row.formula,
        explain.quiz_params_explanation(
            row, cell, units, below, spec.merge_mode, biases, comparison.bi.label
        ),
    )


# --- what output shape ----------------------------------------------------------------------------


def _retimed(shape: Shape, sequences: bool, seq_len: int | None) -> Shape:
    """``shape`` with its time axis added (``sequences``) or removed."""
    if sequences:
        return (shape[0], seq_len, shape[-1])
    return (shape[0], shape[-1])


def _rewidth(shape: Shape, width: int) -> Shape:
    return (*shape[:-1], width)


def _shape_question(comparison: Comparison) -> Question:
    spec = comparison.spec
    index = spec.depth - 1
    row = comparison.bi.recurrent_rows[index]
    units, seq_len = spec.units[index], spec.input.seq_len
    sequences = spec.layer_returns_sequences(index)
    outputs = 2 if splits_directions(spec, True) else 1  # the rest are states
    shapes, states = row.output_shapes[:outputs], row.output_shapes[outputs:]
    width = shapes[0][-1]
    assert width is not None  # only the batch and time axes may be None

    def choice(main: Iterable[Shape], misconception: str | None, extra: bool = True) -> Choice:
        value = (*main, *(states if extra else ()))
        return Choice(value, format_shape(value), misconception)

    wrong = [
        choice((_rewidth(s, units) for s in shapes), "no_concat"),
        choice((_retimed(s, not sequences, seq_len) for s in shapes), "last_step")
        if sequences
        else choice((_retimed(s, True, seq_len) for s in shapes), "every_step"),
        choice((_rewidth(s, 2 * units) for s in shapes), "doubled_width"),
        choice(shapes[:1], "one_tensor", extra=False),
        choice((_rewidth(s, width * 2) for s in shapes), "width_guess"),
        choice((_rewidth(s, width * 4) for s in shapes), "width_guess"),
    ]
    right = choice(shapes, None)
    formula = explain.quiz_shape_formula(spec.merge_mode, units, sequences, shapes, states)
    return _question(
        spec,
        "shape",
        explain.quiz_shape_prompt(row.name),
        right,
        wrong,
        formula,
        explain.quiz_shape_explanation(
            formula, spec.merge_mode, units, sequences, len(states), comparison.bi.label
        ),
    )


# --- which steps need the future --------------------------------------------------------------


def steps_needing_future(seq_len: int, directions: int) -> frozenset[int]:
    """The output steps (1-based) of a sequence-returning layer that read later inputs.

    Step ``t`` of the backward direction has read ``x_t … x_T``: every step but the last has
    read inputs after it. A forward-only layer's step ``t`` has read ``x_1 … x_t``: none.
    """
    return frozenset(range(1, seq_len)) if directions == 2 else frozenset()


def _future_question(comparison: Comparison) -> Question:
    """Which output steps depend on later inputs; or, for one vector per sequence, which
    steps each direction's half has read."""
    spec = comparison.spec
    # The highest layer that returns a sequence, if any (the layers below a last layer
    # always do).
    index = next((i for i in reversed(range(spec.depth)) if spec.layer_returns_sequences(i)), None)
    if index is None:
        return _summary_question(comparison)
    name = comparison.bi.recurrent_rows[index].name
    seq_len = spec.input.seq_len
    # A variable length is reasoned about at a stand-in T (every T ≥ 4 gives the same
    # pattern); the choices then name the steps by T.
    steps = seq_len or 4

    def choice(kind: str, misconception: str | None = None) -> Choice:
        value = {
            "before_last": steps_needing_future(steps, direction_count(True)),
            "none": steps_needing_future(steps, direction_count(False)),
            "all": frozenset(range(1, steps + 1)),
            "last": frozenset({steps}),
        }[kind]
        return Choice(value, explain.quiz_future_choice(kind, seq_len), misconception)

    right = choice("before_last")
    wrong = [choice("none", "causal"), choice("last", "last_step_summary"), choice("all", "all")]
    formula = explain.quiz_future_formula(seq_len)
    return _question(
        spec,
        "future",
        explain.quiz_future_prompt(name, seq_len),
        right,
        wrong,
        formula,
        explain.quiz_future_explanation(formula, seq_len, comparison.bi.label),
    )


def _summary_question(comparison: Comparison) -> Question:
    """One vector per sequence: which input steps has each direction's half read?"""
    spec = comparison.spec
    name = comparison.bi.recurrent_rows[-1].name
    seq_len = spec.input.seq_len
    steps = seq_len or 4
    read = {"all": frozenset(range(1, steps + 1)), "last": frozenset({steps}), "none": frozenset()}

    def choice(forward: str, backward: str, misconception: str | None = None) -> Choice:
        value = (read[forward], read[backward])
        return Choice(value, explain.quiz_summary_choice(forward, backward, seq_len), misconception)

    right = choice("all", "all")
    wrong = [
        choice("all", "last", "last_step_summary"),
        choice("all", "none", "forward_only"),
        choice("last", "last", "one_step"),
    ]
    formula = explain.quiz_summary_formula(seq_len)
    return _question(
        spec,
        "future",
        explain.quiz_summary_prompt(name),
        right,
        wrong,
        formula,
        explain.quiz_summary_explanation(formula, seq_len, comparison.bi.label),
    )


def questions(comparison: Comparison) -> tuple[Question, ...]:
    """The quiz for a spec: its parameters, its output shape, which steps need the future.

    Args:
        comparison: `analysis.compare` of the spec.

    Returns:
        The questions in the order asked; the same spec always gives the same questions,
        choices and order.
    """
    return (
        _params_question(comparison),
        _shape_question(comparison),
        _future_question(comparison),
    )
