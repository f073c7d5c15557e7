"""The Keras builder: names from the spec, no global state, explicit seeds, the right outputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from bilstm_lab.core.analysis import analyze
from bilstm_lab.core.spec import Cell, DenseHead, FeatureInput, ModelSpec, TokenInput
from bilstm_lab.models.builder import (
    build_model,
    cell_class,
    chain_model,
    seeded_bidirectional,
    seeded_cell,
    seeded_dense,
    seeded_embedding,
)

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


# --- the shared seeded helpers -------------------------------------------------------------------


def test_cell_class_is_the_one_map() -> None:
    assert cell_class(Cell.LSTM) is keras.layers.LSTM
    assert cell_class("gru") is keras.layers.GRU
    assert cell_class(Cell.RNN) is keras.layers.SimpleRNN
    with pytest.raises(ValueError):
        cell_class("transformer")


@pytest.mark.usefixtures("no_global_state")
def test_build_model_seeds_are_unchanged() -> None:
    """Layer ``i``'s forward kernel is seeded ``seed + 10·i``, its backward one ``+ 5``; the
    embedding ``seed + 1000`` and the head ``seed + 2000`` (reproducible trainings rely on it)."""
    model = build_model(SPEC, True, seed=7)
    second = model.get_layer("bilstm_2")
    expected = {
        "forward": keras.initializers.GlorotUniform(seed=7 + 10)((12, 16)),
        "backward": keras.initializers.GlorotUniform(seed=7 + 15)((12, 16)),
        "recurrent": keras.initializers.Orthogonal(seed=7 + 11)((4, 16)),
        "embedding": keras.initializers.RandomUniform(-0.05, 0.05, seed=1007)((30, 3)),
        "dense": keras.initializers.GlorotUniform(seed=2007)((8, 2)),
    }
    np.testing.assert_array_equal(second.forward_layer.get_weights()[0], expected["forward"])
    np.testing.assert_array_equal(second.backward_layer.get_weights()[0], expected["backward"])
    np.testing.assert_array_equal(second.forward_layer.get_weights()[1], expected["recurrent"])
    # Keras's own bias: zeros, the forget gate's ones (unit_forget_bias).
    np.testing.assert_array_equal(
        second.forward_layer.get_weights()[2], np.repeat([0.0, 1.0, 0.0, 0.0], 4)
    )
    embedding = model.get_layer("embedding").get_weights()[0]
    np.testing.assert_array_equal(embedding, expected["embedding"])
    np.testing.assert_array_equal(model.get_layer("dense").get_weights()[0], expected["dense"])


@pytest.mark.usefixtures("no_global_state")
def test_seeded_bidirectional_names_seeds_and_biases() -> None:
    layer = seeded_bidirectional(Cell.GRU, 3, "gru_demo", seed=4, bias_range=0.3)
    layer.build((None, 5, 2))
    assert layer.name == "bi_gru_demo"
    # Keras prefixes the forward layer's name inside the wrapper.
    assert (layer.forward_layer.name, layer.backward_layer.name) == (
        "forward_gru_demo",
        "backward_gru_demo",
    )
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    forward, backward = layer.forward_layer.get_weights(), layer.backward_layer.get_weights()
    np.testing.assert_array_equal(forward[0], keras.initializers.GlorotUniform(seed=4)((2, 9)))
    np.testing.assert_array_equal(backward[0], keras.initializers.GlorotUniform(seed=104)((2, 9)))
    bias = forward[2]  # (2, 9): GRU's reset_after keeps two bias vectors
    assert np.all(np.abs(bias) <= 0.3) and np.any(bias != 0)
    again = seeded_bidirectional(Cell.GRU, 3, "gru_demo", seed=4, bias_range=0.3)
    again.build((None, 5, 2))
    for a, b in zip(layer.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    custom = seeded_bidirectional(
        "lstm", 2, "x", seed=1, backward_seed=9, merge_mode=None, wrapper_name="both"
    )
    assert custom.name == "both" and custom.merge_mode is None
    custom.build((None, 4, 2))
    np.testing.assert_array_equal(
        custom.backward_layer.get_weights()[0], keras.initializers.GlorotUniform(seed=9)((2, 8))
    )


def test_unseeded_helpers_keep_keras_defaults() -> None:
    cell = seeded_cell(Cell.LSTM, 2, "plain")
    assert cell.get_config()["kernel_initializer"]["config"]["seed"] is None
    assert seeded_embedding(5, 2).get_config()["embeddings_initializer"]["config"]["seed"] is None
    assert seeded_dense(3).get_config()["kernel_initializer"]["config"]["seed"] is None


@pytest.mark.usefixtures("no_global_state")
def test_chain_model_and_masking_embedding() -> None:
    model = chain_model(
        (None,),
        [
            seeded_embedding(10, 4, "embedding", seed=0, init_range=1.0, mask_zero=True),
            seeded_cell("rnn", 3, "rnn", seed=1),
            seeded_dense(2, "head", seed=2, activation="softmax"),
        ],
        name="chain",
        input_name="tokens",
        dtype="int32",
    )
    assert [layer.name for layer in model.layers] == ["tokens", "embedding", "rnn", "head"]
    table = model.get_layer("embedding").get_weights()[0]
    np.testing.assert_array_equal(
        table, keras.initializers.RandomUniform(-1.0, 1.0, seed=0)((10, 4))
    )
    tokens = np.array([[3, 1, 0, 0], [3, 1, 2, 0]], dtype="int32")
    out = model.predict(tokens, verbose=0)  # (2, 2): the mask stops the RNN at the pads
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out[0], model.predict(tokens[:1, :2], verbose=0)[0], atol=1e-6)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        chain_model((4, 2), [seeded_cell("lstm", 2, "a"), seeded_cell("lstm", 2, "b")], name="x")
