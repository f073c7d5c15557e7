"""Connectivity per direction, against an independent computation on tiny models.

The reference is a hand-written LSTM in float64 NumPy (Keras's gate order i, f, c, o) with the
models' own weights, differentiated by central finite differences: nothing shared with the
forward-mode Jacobian under test but the weights. Causal zeros are asserted exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from bilstm_lab.core.analysis import layer_name
from bilstm_lab.core.spec import Cell, DenseHead, ModelSpec, TokenInput
from bilstm_lab.core.tasks import TaskParams
from bilstm_lab.core.train_config import TASK_DEFAULTS, model_spec
from bilstm_lab.models.builder import build_model
from bilstm_lab.training import connectivity as connectivity_module
from bilstm_lab.training.connectivity import (
    connectivity,
    connectivity_map,
    sequences_within_budget,
)

STEPS, EMBED, UNITS = 5, 3, 2
TOKENS = np.array([[1, 3, 0, 2, 3], [2, 2, 1, 0, 1], [3, 0, 1, 1, 2]], np.int32)  # (n, T)


def _spec(layers: int, per_step: bool = True) -> ModelSpec:
    return ModelSpec(
        cell=Cell.LSTM,
        units=(UNITS,) * layers,
        return_sequences=per_step,
        input=TokenInput(seq_len=STEPS, vocab=4, embedding_dim=EMBED),
        head=DenseHead(4, "softmax"),
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _lstm(weights: list[np.ndarray], x: np.ndarray, backwards: bool = False) -> np.ndarray:
    """``(T, units)`` states of one LSTM direction on ``x`` ``(T, d)``, in input time."""
    kernel, recurrent, bias = (w.astype(np.float64) for w in weights)
    units = recurrent.shape[0]
    h, c = np.zeros(units), np.zeros(units)
    out = np.zeros((len(x), units))
    for t in reversed(range(len(x))) if backwards else range(len(x)):
        z = x[t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out[t] = h
    return out


def _reference_states(model, spec: ModelSpec, bidirectional: bool, x: np.ndarray) -> np.ndarray:
    """``(directions, T, units)``: the last layer's states, by the hand-written LSTM."""
    h = x
    for index in range(spec.depth):
        layer = model.get_layer(layer_name(spec, index, bidirectional))
        if not bidirectional:
            outs = [_lstm(layer.get_weights(), h)]
        else:
            outs = [
                _lstm(layer.forward_layer.get_weights(), h),
                _lstm(layer.backward_layer.get_weights(), h, backwards=True),
            ]
        h = np.concatenate(outs, axis=-1)
    return np.stack(outs)


def _finite_difference_maps(model, spec: ModelSpec, bidirectional: bool) -> np.ndarray:
    """``(directions, T, T)`` mean Frobenius norms of ∂y_t/∂x_s by central differences."""
    table = model.get_layer("embedding").get_weights()[0].astype(np.float64)
    eps = 1e-6
    norms = []
    for tokens in TOKENS:
        x = table[tokens]  # (T, E) the embedded sequence
        jac = np.zeros((2 if bidirectional else 1, STEPS, UNITS, STEPS, EMBED))
        for s in range(STEPS):
            for e in range(EMBED):
                up, down = x.copy(), x.copy()
                up[s, e] += eps
                down[s, e] -= eps
                diff = _reference_states(model, spec, bidirectional, up)
                diff = diff - _reference_states(model, spec, bidirectional, down)
                jac[:, :, :, s, e] = diff / (2 * eps)
        norms.append(np.sqrt((jac**2).sum(axis=(2, 4))))  # (directions, t, s)
    return np.mean(norms, axis=0)


@pytest.fixture(scope="module")
def models() -> dict[str, tuple]:
    one, two = _spec(1), _spec(2)
    return {
        "uni": (build_model(one, False, seed=4), one, False),
        "bi": (build_model(one, True, seed=4), one, True),
        "bi2": (build_model(two, True, seed=4), two, True),
    }


@pytest.mark.parametrize("name", ["uni", "bi", "bi2"])
def test_maps_match_finite_differences_of_a_hand_written_lstm(models: dict, name: str) -> None:
    model, spec, bidirectional = models[name]
    maps = np.stack(connectivity_map(model, spec, bidirectional, TOKENS))
    expected = _finite_difference_maps(model, spec, bidirectional)
    assert maps.shape == expected.shape == ((2 if bidirectional else 1), STEPS, STEPS)
    np.testing.assert_allclose(maps, expected, rtol=2e-4, atol=1e-7)


def test_causal_zeros_are_exact_and_everything_else_is_positive(models: dict) -> None:
    (uni,) = connectivity_map(*models["uni"][:2], False, TOKENS)
    forward, backward = connectivity_map(*models["bi"][:2], True, TOKENS)
    future = np.triu(np.ones((STEPS, STEPS), bool), k=1)  # s > t
    past = future.T  # s < t
    for matrix, forbidden in ((uni, future), (forward, future), (backward, past)):
        assert (matrix[forbidden] == 0.0).all()  # exactly: no path, nothing masked
        assert (matrix[~forbidden] > 0).all()


def test_two_layers_reach_both_ways_because_the_lower_layer_does(models: dict) -> None:
    # Nothing is masked in: the upper forward direction reads the lower backward half, so its
    # "future" cells are real, non-zero gradients.
    forward, backward = connectivity_map(*models["bi2"][:2], True, TOKENS)
    assert (forward > 0).all() and (backward > 0).all()


def test_a_sequence_level_model_is_read_at_every_step() -> None:
    spec = _spec(1, per_step=False)  # the trained layer returns its last step only
    model = build_model(spec, True, seed=4)
    forward, backward = connectivity_map(model, spec, True, TOKENS[:1])
    assert forward.shape == backward.shape == (STEPS, STEPS)
    assert forward[0, 0] > 0 and backward[STEPS - 1, STEPS - 1] > 0


def test_larger_models_average_fewer_sequences_and_the_largest_none() -> None:
    config = TASK_DEFAULTS["look_ahead"]
    assert sequences_within_budget(model_spec(config), model_spec(config), 8) == 8
    longer = config.with_changes(params=TaskParams(seq_len=32, k=3, vocab=8))
    assert 1 <= sequences_within_budget(model_spec(longer), model_spec(longer), 8) < 8
    large = config.with_changes(
        params=TaskParams(seq_len=64, k=3, vocab=8), units=128, embedding_dim=64
    )
    assert sequences_within_budget(model_spec(large), model_spec(large), 8) == 0
    spec = model_spec(large)
    assert connectivity(None, spec, None, spec, np.zeros((8, 64), np.int32)) is None


def test_taking_output_steps_a_few_at_a_time_changes_nothing(
    models: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, spec, _ = models["bi2"]
    whole = connectivity_map(model, spec, True, TOKENS)
    monkeypatch.setattr(connectivity_module, "ROW_FLOATS", 1)  # one output step per pass
    for once, stepwise in zip(whole, connectivity_map(model, spec, True, TOKENS), strict=True):
        np.testing.assert_allclose(stepwise, once, rtol=1e-6)
