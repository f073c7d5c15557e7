"""The Keras builder: names from the spec, no global state, explicit seeds, the right outputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from bilstm_lab.core.analysis import analyze
from bilstm_lab.core.spec import DenseHead, FeatureInput, ModelSpec, TokenInput
from bilstm_lab.models.builder import build_model

SPEC = ModelSpec(units=(6, 4), input=TokenInput(5, 30, 3), head=DenseHead(2, "softmax"))


@pytest.fixture()
def no_global_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the builder touches Keras's process-wide state."""

    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("global Keras state touched")

    monkeypatch.setattr(keras.backend, "clear_session", forbidden)
    monkeypatch.setattr(keras.utils, "set_random_seed", forbidden)


@pytest.mark.usefixtures("no_global_state")
def test_names_come_from_the_spec_not_global_counters() -> None:
    first = [layer.name for layer in build_model(SPEC, True).layers]
    second = [layer.name for layer in build_model(SPEC, True).layers]
    assert first == second == ["tokens", "embedding", "bilstm_1", "bilstm_2", "dense"]
    assert [layer.name for layer in build_model(SPEC, False).layers] == [
        "tokens",
        "embedding",
        "lstm_1",
        "lstm_2",
        "dense",
    ]


@pytest.mark.usefixtures("no_global_state")
def test_same_seed_same_weights_and_directions_start_different() -> None:
    a, b = build_model(SPEC, True, seed=7), build_model(SPEC, True, seed=7)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    other = build_model(SPEC, True, seed=8)
    assert any(
        not np.array_equal(x, y) for x, y in zip(a.get_weights(), other.get_weights(), strict=True)
    )
    wrapper = a.get_layer("bilstm_1")
    forward_kernel = wrapper.forward_layer.get_weights()[0]
    backward_kernel = wrapper.backward_layer.get_weights()[0]
    assert not np.array_equal(forward_kernel, backward_kernel)


def test_predict_shapes_match_the_analysis() -> None:
    spec = ModelSpec(
        units=(5,),
        return_sequences=False,
        return_state=True,
        input=FeatureInput(4, 3),
        batch_size=2,
    )
    for bidirectional in (False, True):
        model = build_model(spec, bidirectional, seed=1)
        outputs = model.predict(np.zeros((2, 4, 3), "float32"), verbose=0)
        expected = analyze(spec, bidirectional).layers[-1].output_shapes
        assert [o.shape for o in outputs] == [tuple(s) for s in expected]


def test_backward_layer_reads_the_sequence_backwards() -> None:
    model = build_model(
        ModelSpec(units=(3,), merge_mode="none", input=FeatureInput(4, 2)), True, seed=3
    )
    wrapper = model.get_layer("bilstm_1")
    assert wrapper.backward_layer.go_backwards and not wrapper.forward_layer.go_backwards
    x = np.random.default_rng(0).normal(size=(1, 4, 2)).astype("float32")
    forward, backward = model.predict(x, verbose=0)
    # Reversing the input swaps what the backward direction sees at each step.
    backward_alone = wrapper.backward_layer(x).numpy()[:, ::-1]
    np.testing.assert_allclose(backward, backward_alone, rtol=1e-5, atol=1e-6)
    assert forward.shape == backward.shape == (1, 4, 3)
