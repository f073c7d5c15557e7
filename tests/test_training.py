"""Training both variants side by side: who wins where, caps, stopping, and every shown number.

Seeded, small and tolerant: thresholds leave wide margins, and no test asserts a wall time.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from bilstm_lab.core.analysis import layer_name
from bilstm_lab.core.errors import TaskError
from bilstm_lab.core.explain import verdict
from bilstm_lab.core.formatting import accuracy, points
from bilstm_lab.core.results import LiveCurve, Progress, TrainResult
from bilstm_lab.core.tasks import TaskParams, get_task
from bilstm_lab.core.train_config import HELD_OUT, StopReason, TrainConfig, model_spec
from bilstm_lab.core.verdict import Tone
from bilstm_lab.training.loop import train
from bilstm_lab.training.scoring import delay_targets

SMALL = TaskParams(seq_len=10, k=3, vocab=5)


def _config(**changes: object) -> TrainConfig:
    values: dict[str, object] = {
        "task": "look_ahead",
        "params": SMALL,
        "samples": 1500,
        "units": 16,
        "embedding_dim": 8,
        "epochs": 6,
        "batch_size": 50,
        "learning_rate": 0.02,
        "seed": 3,
        **changes,
    }
    return TrainConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def look_ahead() -> TrainResult:
    return train(_config())


@pytest.fixture(scope="module")
def look_behind() -> TrainResult:
    return train(_config(task="look_behind"))


def test_bilstm_beats_lstm_on_look_ahead(look_ahead: TrainResult) -> None:
    r = look_ahead
    assert r.reason == StopReason.FINISHED and r.epochs_done == 6
    assert r.acc_bi > 0.9
    assert r.acc_bi - r.acc_uni > 0.5
    # The LSTM stays near its causal ceiling (chance, 1/5) on every step whose answer lies ahead.
    assert r.step_acc_uni is not None and r.ceiling is not None
    future = ~np.isnan(r.ceiling)
    assert np.all(r.step_acc_uni[future] < r.ceiling[future] + 0.12)
    assert np.all(np.isnan(r.step_acc_uni[~future]))


def test_both_solve_look_behind(look_behind: TrainResult) -> None:
    assert look_behind.acc_uni > 0.85
    assert look_behind.acc_bi > 0.85


def test_shown_accuracies_match_an_independent_evaluation(look_ahead: TrainResult) -> None:
    r = look_ahead
    task = get_task("look_ahead")
    held = task.generate(SMALL, HELD_OUT, 3 + 1_000_003)
    for model, step_acc, overall in (
        (r.uni_model, r.step_acc_uni, r.acc_uni),
        (r.bi_model, r.step_acc_bi, r.acc_bi),
    ):
        pred = np.argmax(model.predict(held.x, verbose=0), axis=-1)  # (n, T)
        assert step_acc is not None
        for t in range(SMALL.seq_len):
            labelled = held.mask[:, t] > 0
            if labelled.any():
                expected = float(np.mean(pred[labelled, t] == held.y[labelled, t]))
                assert step_acc[t] == pytest.approx(expected, abs=1e-9)
        correct = pred[held.mask > 0] == held.y[held.mask > 0]
        assert overall == pytest.approx(float(correct.mean()), abs=1e-9)
    # The history's last held-out accuracy is the final one.
    assert r.history[-1].val_acc_bi == pytest.approx(r.acc_bi)
    assert r.chance == pytest.approx(1 / SMALL.vocab)


def test_sample_predictions_and_param_counts(look_ahead: TrainResult) -> None:
    r = look_ahead
    assert r.sample.x.shape == (1, SMALL.seq_len)
    direct = np.argmax(r.bi_model.predict(r.sample.x, verbose=0), axis=-1)
    assert np.array_equal(direct, r.pred_bi)
    assert r.params_uni == r.uni_model.count_params()
    assert r.params_bi == r.bi_model.count_params()
    assert r.units_uni == 16


def test_hidden_states_are_the_bidirectional_layers_two_halves(look_ahead: TrainResult) -> None:
    r = look_ahead
    spec = model_spec(r.config)
    layer = r.bi_model.get_layer(layer_name(spec, 0, bidirectional=True))
    merged = np.asarray(keras.Model(r.bi_model.input, layer.output)(r.sample.x))[0]  # (T, 2u)
    units = r.config.units
    assert r.hidden_forward.shape == r.hidden_backward.shape == (SMALL.seq_len, units)
    np.testing.assert_allclose(r.hidden_forward, merged[:, :units], atol=1e-5)
    np.testing.assert_allclose(r.hidden_backward, merged[:, units:], atol=1e-5)
    assert r.hidden_uni.shape == (SMALL.seq_len, r.units_uni)


def test_verdict_is_computed_from_the_numbers(
    look_ahead: TrainResult, look_behind: TrainResult
) -> None:
    ahead = verdict(look_ahead)
    text = " ".join(ahead.lines)
    assert ahead.tone is Tone.SUCCESS
    assert f"wins by {points(look_ahead.acc_bi, look_ahead.acc_uni)} points" in text
    assert "t = 0–6" in text  # the 7 steps (T=10, k=3) whose answer lies ahead
    scores = look_ahead.step_scores
    assert scores is not None
    assert f"LSTM {accuracy(float(np.mean(scores.uni[scores.unread])))}" in text
    behind = " ".join(verdict(look_behind).lines)
    assert "wins by" not in behind and "about the same" in behind
    assert f"BiLSTM {accuracy(look_behind.acc_bi)}" in behind


def test_progress_carries_live_per_step_accuracy() -> None:
    reports: list[Progress] = []
    r = train(_config(samples=500, epochs=2, batch_size=50), on_progress=reports.append)
    # Before the first batch: the untrained models' accuracy at each step, no loss yet.
    first = reports[0]
    assert first.batch == 0 and first.steps is not None and math.isnan(first.loss_uni)
    assert np.array_equal(first.steps.ceiling, r.ceiling, equal_nan=True)
    # After each epoch: the same evaluation the history records, per step.
    ends = [p for p in reports if p.steps is not None and p.batch]
    assert len(ends) == 2
    final = ends[-1].steps
    assert final is not None
    np.testing.assert_allclose(final.bi, r.step_acc_bi, equal_nan=True)
    # The worker's snapshots keep the latest per-step accuracy between epoch ends.
    curve = LiveCurve()
    snapshots = [curve.add(p) for p in reports]
    assert snapshots[0].points == () and snapshots[0].steps is first.steps
    assert all(s.steps is not None for s in snapshots)
    assert len(snapshots[-1].points) == len(reports) - 1


def test_same_seed_same_run_and_identical_batches() -> None:
    config = _config(samples=200, epochs=1, batch_size=50)
    a, b = train(config), train(config)
    assert a.history[0].loss_uni == pytest.approx(b.history[0].loss_uni, rel=1e-4)
    assert a.history[0].loss_bi == pytest.approx(b.history[0].loss_bi, rel=1e-4)
    assert np.array_equal(a.pred_bi, b.pred_bi)


def test_unrolling_changes_speed_not_maths() -> None:
    config = _config(samples=200, epochs=1, batch_size=50)
    loop, unrolled = (
        train(config.with_changes(unroll=False)),
        train(config.with_changes(unroll=True)),
    )
    assert not config.use_unroll and config.with_changes(epochs=100, samples=20_000).use_unroll
    assert unrolled.history[0].loss_bi == pytest.approx(loop.history[0].loss_bi, rel=1e-3)
    assert unrolled.history[0].loss_uni == pytest.approx(loop.history[0].loss_uni, rel=1e-3)


def test_target_delay_lets_the_lstm_catch_up_and_param_matching() -> None:
    r = train(_config(target_delay=SMALL.k, match_params=True))
    # Answering k steps late, the LSTM has seen the token it must name.
    assert r.acc_uni > 0.85
    assert r.step_acc_uni is not None
    # Labels whose delayed answer would fall past the end have no accuracy.
    assert np.all(np.isnan(r.step_acc_uni[SMALL.seq_len - SMALL.k :]))
    # Parameter matching: a wider LSTM with (about) the BiLSTM's budget, verified by Keras.
    assert r.units_uni > 16
    assert r.params_uni == r.uni_model.count_params()
    assert abs(r.params_uni - r.params_bi) / r.params_bi < 0.05
    # Answering d = k steps late, it reads every answer: its best possible is 100%.
    assert r.ceiling is not None and np.nanmin(r.ceiling) == 1.0
    assert "3 steps late" in " ".join(verdict(r).lines)


def test_delay_targets_shift() -> None:
    y = np.arange(12).reshape(2, 6)
    mask = np.ones((2, 6), np.float32)
    y_d, m_d = delay_targets(y, mask, 2)
    assert y_d[0].tolist() == [0, 0, 0, 1, 2, 3]
    assert m_d[0].tolist() == [0, 0, 1, 1, 1, 1]


def test_stop_hook_and_time_budget_end_training() -> None:
    calls = {"n": 0}

    def stop_after_two() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    progress: list[object] = []
    r = train(
        _config(samples=500, epochs=50), on_progress=progress.append, should_stop=stop_after_two
    )
    assert r.reason == StopReason.STOPPED
    assert r.samples_seen == 2 * 50
    assert r.epochs_done == 1  # the partial epoch is still evaluated
    assert progress  # the callback ran
    budget = train(_config(samples=2000, epochs=100, time_budget=1.0))
    assert budget.reason == StopReason.TIME_BUDGET
    assert budget.epochs_done < 100


def test_sequence_level_task_trains_and_has_no_step_chart() -> None:
    r = train(_config(task="first_token", samples=400, epochs=2))
    assert r.step_acc_uni is None and r.ceiling is None
    assert 0.0 <= r.acc_uni <= 1.0
    assert r.hidden_backward.shape == (SMALL.seq_len, 16)


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"samples": 10**6}, "samples", "1000000"),
        ({"epochs": 0}, "epochs", "0"),
        ({"units": 4096}, "units", "4096"),
        ({"learning_rate": math.nan}, "learning_rate", "nan"),
        ({"time_budget": 10_000.0}, "time_budget", "10000.0"),
        ({"batch_size": 400, "samples": 100}, "batch_size", "400"),
        ({"task": "first_token", "target_delay": 2}, "target_delay", "2"),
        ({"target_delay": 10}, "target_delay", "10"),
        ({"cell": "transformer"}, "cell", "'transformer'"),
        ({"task": "nope"}, "task", "'nope'"),
        ({"layers": True}, "layers", "True"),
    ],
)
def test_caps_are_enforced_with_a_named_field(
    changes: dict[str, object], field: str, value: str
) -> None:
    with pytest.raises(TaskError) as info:
        _config(**changes)
    assert info.value.field == field
    assert str(info.value).startswith(field)
    assert str(info.value).endswith(value)
