"""Toy sequence tasks: seeded numpy generators, each labelled with its rule.

Every task says in one line what its label is, whether the answer needs *future* context
(tokens after the position being labelled), what chance level is, and — where it can be
computed — the best accuracy any *unidirectional* (causal) model can reach at each time step,
also for one that answers ``d`` steps late (a target delay). That ceiling is what the Training
Lab draws under the LSTM's per-step accuracy.

Pure numpy: this module never imports TensorFlow or Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bilstm_lab.core.errors import TaskError, check_number

#: The task the Training Lab opens with: its per-step chart has contrast (the first half's
#: answers lie ahead, the second half's behind).
DEFAULT_TASK = "reversal"

#: Inclusive bounds of the task knobs, enforced here because URLs and code bypass widgets.
TASK_LIMITS: dict[str, tuple[int, int]] = {
    "seq_len": (4, 64),
    "k": (1, 32),
    "vocab": (2, 50),
    # A guard on one generator call; the training knob (`TRAIN_LIMITS`) sets its own minimum.
    "samples": (1, 20_000),
}


@dataclass(frozen=True)
class TaskParams:
    """The knobs every task takes.

    Attributes:
        seq_len: time steps per sequence (``T``).
        k: the offset of look-ahead / look-behind (ignored by tasks that have no offset).
        vocab: how many distinct content tokens a sequence draws from.
    """

    seq_len: int = 16
    k: int = 3
    vocab: int = 8

    def __post_init__(self) -> None:
        for name in ("seq_len", "k", "vocab"):
            _check(name, getattr(self, name))
        if self.k >= self.seq_len:
            raise TaskError(
                "k", f"k must be smaller than seq_len ({self.seq_len}), received {self.k}"
            )


def _check(name: str, value: object) -> int:
    low, high = TASK_LIMITS[name]
    return int(check_number(name, value, low, high, error=TaskError))


@dataclass(frozen=True)
class Batch:
    """Generated data.

    Attributes:
        x: token ids, ``(n, T)`` int32, values in ``[0, input_vocab)``.
        y: labels, ``(n, T)`` int32 for per-step tasks, ``(n,)`` for sequence-level tasks.
        mask: ``(n, T)`` float32, 1 where a per-step label exists (all ones for sequence tasks).
    """

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True)
class Task:
    """One toy task.

    Attributes:
        key: short identifier used in URLs and the API.
        name: display name.
        rule: the label rule in one line.
        needs_future: whether some labels depend on tokens after the labelled position.
        per_step: a label per time step (True) or one label per sequence (False).
        uses_k: whether the ``k`` knob means something for this task.
        lesson: one or two sentences on what the task teaches.
        leaks: the label is (a function of) a later *input* token, so a bidirectional model's
            win is leakage, not skill: it reads the answer instead of predicting it.
    """

    key: str
    name: str
    rule: str
    needs_future: bool
    per_step: bool
    uses_k: bool
    lesson: str
    _generate: Callable[[TaskParams, int, np.random.Generator], Batch]
    _classes: Callable[[TaskParams], int]
    _input_vocab: Callable[[TaskParams], int]
    _chance: Callable[[TaskParams], float]
    _ceiling: Callable[[TaskParams, int], np.ndarray | None]
    leaks: bool = False

    def generate(self, params: TaskParams, n: int, seed: int) -> Batch:
        """Generate ``n`` labelled sequences from ``np.random.default_rng(seed)``.

        Args:
            params: the task's knobs.
            n: number of sequences.
            seed: seed of the generator (same seed, same data).

        Returns:
            The batch.

        Raises:
            TaskError: when ``n`` is out of bounds.
        """
        _check("samples", n)
        return self._generate(params, n, np.random.default_rng(seed))

    def n_classes(self, params: TaskParams) -> int:
        """How many label classes the output layer needs."""
        return self._classes(params)

    def input_vocab(self, params: TaskParams) -> int:
        """How many distinct token ids the input can hold (the Embedding's vocabulary)."""
        return self._input_vocab(params)

    def chance(self, params: TaskParams) -> float:
        """Accuracy of always answering the most frequent class (over all labelled steps)."""
        return self._chance(params)

    def causal_ceiling(self, params: TaskParams, delay: int = 0) -> np.ndarray | None:
        """Best expected accuracy of any unidirectional model at each label step, ``(T,)``.

        A causal model that answers label t at step t+d has read tokens 0..t+d only; the
        ceiling is the Bayes-optimal accuracy given that prefix.

        Args:
            params: the task's knobs.
            delay: steps ``d`` the model waits before answering (0: it answers at once).

        Returns:
            The ceiling indexed by label step; NaN where there is no label, or where a late
            answer would fall past the end. ``None`` for sequence-level tasks (a unidirectional
            model reads the whole sequence before answering).

        Raises:
            TaskError: when ``delay`` is not a step count below ``seq_len``.
        """
        check_number("target_delay", delay, 0, params.seq_len - 1, error=TaskError)
        ceiling = self._ceiling(params, delay)
        if ceiling is not None and delay:
            ceiling = ceiling.copy()
            ceiling[params.seq_len - delay :] = np.nan  # answered past the end: never scored
        return ceiling


# --- look-ahead / look-behind ------------------------------------------------------------------


def _uniform_tokens(params: TaskParams, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, params.vocab, size=(n, params.seq_len), dtype=np.int32)


def _look_ahead(params: TaskParams, n: int, rng: np.random.Generator) -> Batch:
    x = _uniform_tokens(params, n, rng)  # (n, T)
    t_len, k = params.seq_len, params.k
    y = np.zeros_like(x)
    y[:, : t_len - k] = x[:, k:]  # the last k steps have no token k ahead: masked out
    mask = np.zeros(x.shape, np.float32)
    mask[:, : t_len - k] = 1.0
    return Batch(x, y, mask)


def _look_behind(params: TaskParams, n: int, rng: np.random.Generator) -> Batch:
    x = _uniform_tokens(params, n, rng)  # (n, T)
    k = params.k
    y = np.zeros_like(x)
    y[:, k:] = x[:, :-k]  # the first k steps have no token k behind: masked out
    mask = np.zeros(x.shape, np.float32)
    mask[:, k:] = 1.0
    return Batch(x, y, mask)


def _offset_ceiling(params: TaskParams, delay: int, ahead: bool) -> np.ndarray:
    t_len, k = params.seq_len, params.k
    ceiling = np.full(t_len, np.nan)
    if ahead:
        # The token k ahead is independent of everything read so far, unless the model waits
        # at least k steps: then it has read it.
        ceiling[: t_len - k] = 1.0 if delay >= k else 1.0 / params.vocab
    else:
        ceiling[k:] = 1.0
    return ceiling


def _shifted(ceiling: np.ndarray, delay: int) -> np.ndarray:
    """The ceiling of a model ``delay`` steps late, for tasks whose only unknown at step t is
    what comes after the last token read: answering t at t+d is answering t+d at once."""
    t = np.arange(len(ceiling))
    return ceiling[np.minimum(t + delay, len(ceiling) - 1)]


# --- reversal ------------------------------------------------------------------------------------


def _reversal(params: TaskParams, n: int, rng: np.random.Generator) -> Batch:
    x = _uniform_tokens(params, n, rng)  # (n, T)
    return Batch(x, x[:, ::-1].copy(), np.ones(x.shape, np.float32))


def _reversal_ceiling(params: TaskParams, delay: int) -> np.ndarray:
    t = np.arange(params.seq_len)
    source = params.seq_len - 1 - t  # the step whose token is the answer at t
    # The answer is already read when it lies at or before t+d; otherwise it is a fresh uniform
    # token, so the best a causal model can do is guess.
    return np.where(source <= t + delay, 1.0, 1.0 / params.vocab)


# --- marker later / late negation ---------------------------------------------------------------
#
# Both place one special token at a uniform position in half of the sequences. The label at t
# depends on whether that token lies *after* t. A causal model that has not seen it yet knows
# only that it may still come: P(later | not seen up to t) = (T-1-t) / (2T - (t+1)).


def _place_once(n: int, t_len: int, rng: np.random.Generator) -> np.ndarray:
    """Position of the special token in each sequence, or -1 when it is absent (half)."""
    where = rng.integers(0, t_len, size=n)
    return np.where(rng.random(n) < 0.5, where, -1)


def _p_later_given_unseen(t_len: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(t_len)
    p_unseen = 1.0 - 0.5 * (t + 1) / t_len  # P(token absent or after t)
    p_later = 0.5 * (t_len - 1 - t) / t_len  # P(token after t)
    return p_unseen, p_later / p_unseen


def _marker_later(params: TaskParams, n: int, rng: np.random.Generator) -> Batch:
    t_len = params.seq_len
    marker = params.vocab  # one id past the content tokens, so it never occurs by chance
    x = _uniform_tokens(params, n, rng)  # (n, T)
    where = _place_once(n, t_len, rng)
    has = where >= 0
    x[has, where[has]] = marker
    t = np.arange(t_len)[None, :]
    y = (where[:, None] > t).astype(np.int32)  # absent (-1) is never later
    return Batch(x, y, np.ones(x.shape, np.float32))


def _marker_ceiling(params: TaskParams, delay: int) -> np.ndarray:
    p_unseen, p = _p_later_given_unseen(params.seq_len)
    # Seen already -> its position settles the label; unseen -> it is absent or after the last
    # token read (so after t): the best guess is the likelier of the two.
    return _shifted((1.0 - p_unseen) + p_unseen * np.maximum(p, 1.0 - p), delay)


def _marker_chance(params: TaskParams) -> float:
    t_len = params.seq_len
    p_one = 0.5 * (t_len - 1 - np.arange(t_len)) / t_len
    return float(max(p_one.mean(), 1.0 - p_one.mean()))


# Late negation vocabulary: 0 filler, then positive words, negative words, and "not" last.
_NEG_FILLER = 0


def _negation_words(params: TaskParams) -> tuple[int, int]:
    """(number of positive words, number of negative words) for a vocabulary size."""
    half = max(1, (params.vocab - 1) // 2)
    return half, half


def _late_negation(params: TaskParams, n: int, rng: np.random.Generator) -> Batch:
    t_len = params.seq_len
    n_pos, n_neg = _negation_words(params)
    not_id = 1 + n_pos + n_neg
    # Each position is a sentiment word with probability 1/2, otherwise filler.
    is_word = rng.random((n, t_len)) < 0.5
    positive = rng.random((n, t_len)) < 0.5
    word = np.where(
        positive,
        1 + rng.integers(0, n_pos, size=(n, t_len)),
        1 + n_pos + rng.integers(0, n_neg, size=(n, t_len)),
    )
    x = np.where(is_word, word, _NEG_FILLER).astype(np.int32)  # (n, T)
    where = _place_once(n, t_len, rng)
    has = where >= 0
    x[has, where[has]] = not_id
    t = np.arange(t_len)[None, :]
    negated = where[:, None] > t  # a "not" later in the sentence flips the word's sentiment
    is_word = x != _NEG_FILLER
    is_word &= x != not_id
    positive = (x >= 1) & (x <= n_pos)
    y = (positive ^ negated).astype(np.int32)
    return Batch(x, y, is_word.astype(np.float32))


def _negation_ceiling(params: TaskParams, delay: int) -> np.ndarray:
    # At a sentiment word the only unknown is whether "not" comes later. Given that step t holds
    # a word (so "not" is not at t), "not" was already seen with probability
    # P(not before t) / P(not elsewhere than t); the odds of "later" among the unseen cases are
    # the same as for the marker.
    t_len = params.seq_len
    t = np.arange(t_len)
    seen = (0.5 * t / t_len) / (1.0 - 0.5 / t_len)
    _, p = _p_later_given_unseen(t_len)
    return _shifted(seen + (1.0 - seen) * np.maximum(p, 1.0 - p), delay)


# --- first token of a long noisy sequence --------------------------------------------------------


def _first_token(params: TaskParams, n: int, rng: np.random.Generator) -> Batch:
    x = _uniform_tokens(params, n, rng)  # (n, T): everything after step 0 is noise
    y = (x[:, 0] % 2).astype(np.int32)  # (n,): parity of the first token
    return Batch(x, y, np.ones(x.shape, np.float32))


def _first_token_chance(params: TaskParams) -> float:
    odd = params.vocab // 2
    return max(odd, params.vocab - odd) / params.vocab


# --- next-token prediction (leakage) -------------------------------------------------------------

#: Probability that the next token continues the count (``prev + 1``); otherwise it is random.
NEXT_TOKEN_P_COUNT = 0.5


def _next_token(params: TaskParams, n: int, rng: np.random.Generator) -> Batch:
    t_len, v = params.seq_len, params.vocab
    x = np.empty((n, t_len), np.int32)  # (n, T)
    x[:, 0] = rng.integers(0, v, size=n)
    counting = rng.random((n, t_len)) < NEXT_TOKEN_P_COUNT
    noise = rng.integers(0, v, size=(n, t_len))
    for t in range(1, t_len):
        x[:, t] = np.where(counting[:, t], (x[:, t - 1] + 1) % v, noise[:, t])
    y = np.zeros_like(x)
    y[:, :-1] = x[:, 1:]
    mask = np.zeros(x.shape, np.float32)
    mask[:, :-1] = 1.0
    return Batch(x, y, mask)


def _next_token_ceiling(params: TaskParams, delay: int) -> np.ndarray:
    ceiling = np.full(params.seq_len, np.nan)
    # Answering at once, the best causal guess is prev + 1: right when the chain counted, or by
    # luck when not. One step late, the model has read the answer.
    ceiling[:-1] = 1.0 if delay else NEXT_TOKEN_P_COUNT + (1 - NEXT_TOKEN_P_COUNT) / params.vocab
    return ceiling


def _plain_vocab(params: TaskParams) -> int:
    return params.vocab


def _vocab_chance(params: TaskParams) -> float:
    return 1.0 / params.vocab


TASKS: dict[str, Task] = {
    task.key: task
    for task in (
        Task(
            key="look_ahead",
            name="Look-ahead",
            rule="the label at t is the token at t+k",
            needs_future=True,
            per_step=True,
            uses_k=True,
            lesson="The answer lies k steps in the future: only the backward direction has read it.",
            _generate=_look_ahead,
            _classes=_plain_vocab,
            _input_vocab=_plain_vocab,
            _chance=_vocab_chance,
            _ceiling=lambda p, d: _offset_ceiling(p, d, ahead=True),
        ),
        Task(
            key="look_behind",
            name="Look-behind (control)",
            rule="the label at t is the token at t−k",
            needs_future=False,
            per_step=True,
            uses_k=True,
            lesson="The answer lies in the past: a plain LSTM solves it too, so the future buys nothing.",
            _generate=_look_behind,
            _classes=_plain_vocab,
            _input_vocab=_plain_vocab,
            _chance=_vocab_chance,
            _ceiling=lambda p, d: _offset_ceiling(p, d, ahead=False),
        ),
        Task(
            key="reversal",
            name="Reversal",
            rule="the label at t is the token at T−1−t",
            needs_future=True,
            per_step=True,
            uses_k=False,
            lesson="The first half's answers lie ahead, the second half's behind: a causal model "
            "can do no better than guess on the first half.",
            _generate=_reversal,
            _classes=_plain_vocab,
            _input_vocab=_plain_vocab,
            _chance=_vocab_chance,
            _ceiling=_reversal_ceiling,
        ),
        Task(
            key="late_negation",
            name="Late negation",
            rule="each sentiment word is labelled positive/negative, flipped when a 'not' comes after it",
            needs_future=True,
            per_step=True,
            uses_k=False,
            lesson="'good … not' — the word that changes the meaning comes later, as in real "
            "sentences; reading left to right, the LSTM must guess.",
            _generate=_late_negation,
            _classes=lambda p: 2,
            _input_vocab=lambda p: 2 + sum(_negation_words(p)),
            _chance=lambda p: 0.5,
            _ceiling=_negation_ceiling,
        ),
        Task(
            key="marker_later",
            name="Marker later",
            rule="the label at t is 1 when the marker token appears after t, else 0",
            needs_future=True,
            per_step=True,
            uses_k=False,
            lesson="Whether something happens later is unknowable from the past; the backward "
            "direction has already seen it.",
            _generate=_marker_later,
            _classes=lambda p: 2,
            _input_vocab=lambda p: p.vocab + 1,
            _chance=_marker_chance,
            _ceiling=_marker_ceiling,
        ),
        Task(
            key="first_token",
            name="First token, long sequence",
            rule="one label per sequence: the parity of the first token; the rest is noise",
            needs_future=False,
            per_step=False,
            uses_k=False,
            lesson="Both can solve it in principle, but the forward LSTM must carry the first "
            "token through all the noise; the backward direction reads it last.",
            _generate=_first_token,
            _classes=lambda p: 2,
            _input_vocab=_plain_vocab,
            _chance=_first_token_chance,
            _ceiling=lambda p, d: None,
        ),
        Task(
            key="next_token",
            name="Next-token prediction (leakage)",
            rule="the label at t is the token at t+1 (a counting chain: +1 half the time, random otherwise)",
            needs_future=True,
            per_step=True,
            uses_k=False,
            lesson="The BiLSTM scores ~100% because its backward direction reads the answer: "
            "that is leakage. When generating text the future does not exist yet, so a "
            "bidirectional model must never be used for causal prediction.",
            _generate=_next_token,
            _classes=_plain_vocab,
            _input_vocab=_plain_vocab,
            _chance=_vocab_chance,
            _ceiling=_next_token_ceiling,
            leaks=True,
        ),
    )
}


def get_task(key: str) -> Task:
    """The task called ``key``.

    Raises:
        TaskError: for an unknown key.
    """
    try:
        return TASKS[key]
    except KeyError:
        raise TaskError(
            "task", f"task must be one of {', '.join(TASKS)}, received {key!r}"
        ) from None
