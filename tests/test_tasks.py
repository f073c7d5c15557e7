"""Each toy task's labels obey its stated rule, and its chance level and causal ceiling are right.

The rules are re-checked here with plain loops over single sequences, independently of the
vectorised generators; chance and ceilings are checked against empirical estimates.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from bilstm_lab.core.errors import TaskError
from bilstm_lab.core.tasks import TASKS, TaskParams, get_task

PARAMS = TaskParams(seq_len=12, k=3, vocab=6)


def _sequences(key: str, params: TaskParams = PARAMS, n: int = 300, seed: int = 7):
    batch = get_task(key).generate(params, n, seed)
    return batch.x.tolist(), batch.y.tolist(), batch.mask.tolist()


def test_look_ahead_label_is_token_k_ahead() -> None:
    xs, ys, masks = _sequences("look_ahead")
    for x, y, m in zip(xs, ys, masks, strict=True):
        for t in range(len(x)):
            if t + PARAMS.k < len(x):
                assert m[t] == 1 and y[t] == x[t + PARAMS.k]
            else:
                assert m[t] == 0


def test_look_behind_label_is_token_k_behind() -> None:
    xs, ys, masks = _sequences("look_behind")
    for x, y, m in zip(xs, ys, masks, strict=True):
        for t in range(len(x)):
            if t >= PARAMS.k:
                assert m[t] == 1 and y[t] == x[t - PARAMS.k]
            else:
                assert m[t] == 0


def test_reversal_label_is_mirrored_token() -> None:
    xs, ys, masks = _sequences("reversal")
    for x, y, m in zip(xs, ys, masks, strict=True):
        big_t = len(x)
        assert all(m)
        assert [y[t] for t in range(big_t)] == [x[big_t - 1 - t] for t in range(big_t)]


def test_marker_later_rule() -> None:
    xs, ys, _ = _sequences("marker_later")
    marker = PARAMS.vocab
    seen_with, seen_without = 0, 0
    for x, y in zip(xs, ys, strict=True):
        assert x.count(marker) <= 1
        seen_with += marker in x
        seen_without += marker not in x
        for t in range(len(x)):
            assert y[t] == int(marker in x[t + 1 :])
    assert seen_with > 50 and seen_without > 50  # both kinds of sequence occur


def test_late_negation_rule() -> None:
    xs, ys, masks = _sequences("late_negation")
    # vocab 6 -> 0 filler, 1..2 positive, 3..4 negative, 5 "not"
    positive_words, negative_words, not_id = {1, 2}, {3, 4}, 5
    flipped = 0
    for x, y, m in zip(xs, ys, masks, strict=True):
        for t, token in enumerate(x):
            if token in positive_words | negative_words:
                assert m[t] == 1
                base = 1 if token in positive_words else 0
                negated = not_id in x[t + 1 :]
                flipped += negated
                assert y[t] == (1 - base if negated else base)
            else:
                assert m[t] == 0
    assert flipped > 100


def test_first_token_label_is_parity_of_first_token() -> None:
    xs, ys, _ = _sequences("first_token")
    assert [y for y in ys] == [x[0] % 2 for x in xs]


def test_next_token_label_is_following_token() -> None:
    xs, ys, masks = _sequences("next_token")
    counted = 0
    for x, y, m in zip(xs, ys, masks, strict=True):
        for t in range(len(x) - 1):
            assert m[t] == 1 and y[t] == x[t + 1]
            counted += x[t + 1] == (x[t] + 1) % PARAMS.vocab
        assert m[-1] == 0
    # About half the steps continue the count (plus 1/vocab of the random ones).
    rate = counted / (len(xs) * (PARAMS.seq_len - 1))
    assert 0.5 < rate < 0.65


@pytest.mark.parametrize("key", list(TASKS))
def test_same_seed_same_data_other_seed_other_data(key: str) -> None:
    task = get_task(key)
    a, b, c = (task.generate(PARAMS, 50, s) for s in (1, 1, 2))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert a.x.min() >= 0 and a.x.max() < task.input_vocab(PARAMS)
    assert a.y.min() >= 0 and a.y.max() < task.n_classes(PARAMS)


@pytest.mark.parametrize("key", list(TASKS))
def test_chance_is_majority_class_rate(key: str) -> None:
    task = get_task(key)
    batch = task.generate(PARAMS, 20_000, 3)
    labels = batch.y[batch.mask > 0] if task.per_step else batch.y
    majority = Counter(labels.tolist()).most_common(1)[0][1] / labels.size
    assert task.chance(PARAMS) == pytest.approx(majority, abs=0.015)


def _empirical_causal_ceiling(key: str, params: TaskParams, delay: int = 0) -> np.ndarray:
    """Best accuracy of a lookup table from prefix x[0..t+delay] to label t, fit and scored on
    halves (NaN where t+delay falls past the end)."""
    task = get_task(key)
    fit, score = task.generate(params, 20_000, 11), task.generate(params, 20_000, 12)
    result = np.full(params.seq_len, np.nan)
    for t in range(params.seq_len - delay):
        seen = t + delay + 1
        table: dict[tuple[int, ...], Counter[int]] = defaultdict(Counter)
        for x, y, m in zip(fit.x, fit.y, fit.mask, strict=True):
            if m[t]:
                table[tuple(x[:seen])][int(y[t])] += 1
        hits = total = 0
        for x, y, m in zip(score.x, score.y, score.mask, strict=True):
            if m[t]:
                counts = table.get(tuple(x[:seen]))
                guess = counts.most_common(1)[0][0] if counts else 0
                hits += guess == y[t]
                total += 1
        if total:
            result[t] = hits / total
    return result


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("reversal", TaskParams(seq_len=6, k=1, vocab=3)),
        ("look_ahead", TaskParams(seq_len=6, k=2, vocab=3)),
        ("look_behind", TaskParams(seq_len=6, k=2, vocab=3)),
        ("marker_later", TaskParams(seq_len=6, k=1, vocab=2)),
        ("late_negation", TaskParams(seq_len=5, k=1, vocab=3)),
        ("next_token", TaskParams(seq_len=5, k=1, vocab=3)),
    ],
)
def test_causal_ceiling_matches_best_prefix_lookup(key: str, params: TaskParams) -> None:
    ceiling = get_task(key).causal_ceiling(params)
    assert ceiling is not None
    empirical = _empirical_causal_ceiling(key, params)
    assert np.array_equal(np.isnan(ceiling), np.isnan(empirical))
    valid = ~np.isnan(ceiling)
    assert np.allclose(ceiling[valid], empirical[valid], atol=0.03), (ceiling, empirical)


@pytest.mark.parametrize(
    ("key", "params", "delay"),
    [
        ("reversal", TaskParams(seq_len=6, k=1, vocab=3), 2),
        ("look_ahead", TaskParams(seq_len=6, k=2, vocab=3), 1),
        ("look_ahead", TaskParams(seq_len=6, k=2, vocab=3), 2),
        ("look_behind", TaskParams(seq_len=6, k=2, vocab=3), 1),
        ("marker_later", TaskParams(seq_len=6, k=1, vocab=2), 2),
        ("late_negation", TaskParams(seq_len=5, k=1, vocab=3), 1),
        ("next_token", TaskParams(seq_len=5, k=1, vocab=3), 1),
    ],
)
def test_delayed_ceiling_matches_best_lookup_of_the_longer_prefix(
    key: str, params: TaskParams, delay: int
) -> None:
    # A model answering label t at step t+d reads x[0..t+d]: its ceiling rises accordingly.
    ceiling = get_task(key).causal_ceiling(params, delay)
    assert ceiling is not None
    empirical = _empirical_causal_ceiling(key, params, delay)
    assert np.array_equal(np.isnan(ceiling), np.isnan(empirical))
    valid = ~np.isnan(ceiling)
    assert np.allclose(ceiling[valid], empirical[valid], atol=0.03), (ceiling, empirical)


def test_waiting_k_steps_reads_the_look_ahead_answer() -> None:
    params = TaskParams(seq_len=8, k=3, vocab=4)
    task = get_task("look_ahead")
    short, enough = task.causal_ceiling(params, 2), task.causal_ceiling(params, 3)
    assert short is not None and enough is not None
    assert np.nanmax(short) == pytest.approx(0.25)  # still guessing
    assert np.nanmin(enough) == 1.0  # d >= k: the answer has been read
    assert np.isnan(enough[5:]).all()  # labels 5..7: no label (k) or answered past the end


def test_delay_must_be_a_step_count_below_seq_len() -> None:
    with pytest.raises(TaskError) as info:
        get_task("reversal").causal_ceiling(TaskParams(seq_len=6, k=1, vocab=3), 6)
    assert info.value.field == "target_delay"


def test_only_next_token_leaks() -> None:
    assert [key for key, task in TASKS.items() if task.leaks] == ["next_token"]


def test_reversal_ceiling_values() -> None:
    # T=5: steps 0,1 need tokens 4,3 (future) -> 1/vocab; steps 2,3,4 see theirs -> 1.
    ceiling = get_task("reversal").causal_ceiling(TaskParams(seq_len=5, k=1, vocab=4))
    assert ceiling is not None
    assert ceiling.tolist() == [0.25, 0.25, 1.0, 1.0, 1.0]


def test_first_token_has_no_per_step_ceiling() -> None:
    assert get_task("first_token").causal_ceiling(PARAMS) is None


@pytest.mark.parametrize(
    ("changes", "field", "received"),
    [
        ({"seq_len": 2}, "seq_len", "2"),
        ({"seq_len": 1000}, "seq_len", "1000"),
        ({"k": 0}, "k", "0"),
        ({"k": 12}, "k", "12"),
        ({"vocab": 1}, "vocab", "1"),
        ({"vocab": "8"}, "vocab", "'8'"),
    ],
)
def test_bad_params_name_the_field(changes: dict[str, object], field: str, received: str) -> None:
    values: dict[str, object] = {"seq_len": 12, "k": 3, "vocab": 6, **changes}
    with pytest.raises(TaskError) as info:
        TaskParams(**values)  # type: ignore[arg-type]
    assert info.value.field == field
    assert str(info.value).startswith(field)
    assert str(info.value).endswith(f"received {received}")


def test_unknown_task_and_bad_sample_count() -> None:
    with pytest.raises(TaskError, match=r"received 'nope'$"):
        get_task("nope")
    with pytest.raises(TaskError, match="samples"):
        get_task("look_ahead").generate(PARAMS, 10**7, 0)
