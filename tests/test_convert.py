"""bilstm_lab.models.convert on real Keras models: weights fate, shapes, save/reload, unwrap."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from bilstm_lab.core.analysis import recurrent_params
from bilstm_lab.core.conversion import CompileFate
from bilstm_lab.core.errors import ConversionCheckFailed, one_line
from bilstm_lab.core.spec import Cell, MergeMode
from bilstm_lab.models import conversion_check
from bilstm_lab.models.convert import (
    COLD,
    KEPT,
    UNWRAPPED,
    WARM_STARTED,
    WIDTH_CHANGED,
    ConversionError,
    convert_and_check,
    to_bidirectional,
    unwrap_bidirectional,
)
from bilstm_lab.models.model_io import load_model_bytes, model_to_bytes
from tests import gallery_models as gallery
from tests.helpers_models import UNITS, D, T, dense_only_model, make_model

BATCH = np.random.default_rng(0).normal(size=(3, T, D)).astype("float32")  # (batch, T, D)

# Every merge mode, both model kinds, 1-3 layers, warm start on and off — not the full product.
CASES = [
    ("sequential", 1, "concat", True),
    ("functional", 1, "sum", False),
    ("sequential", 2, "mul", True),
    ("functional", 2, "concat", False),
    ("functional", 3, "ave", True),
    ("sequential", 3, "concat", True),
    ("functional", 3, "sum", True),
    ("sequential", 2, "ave", False),
]


def _expected_fates(depth: int, mode: str, warm: bool, chosen: set[int]) -> list[str]:
    """What should happen to each layer's weights, worked out from the layer order alone."""
    fates, widened = [], False  # widened: this layer's input is wider than before
    for index in range(depth):
        if index in chosen:
            fates.append(WIDTH_CHANGED if widened else (WARM_STARTED if warm else COLD))
            widened = mode == "concat"
        else:
            fates.append(WIDTH_CHANGED if widened else KEPT)
            widened = False
    fates.append(WIDTH_CHANGED if widened else KEPT)  # the Dense head
    return fates


def _weights_equal(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(("kind", "depth", "mode", "warm"), CASES)
def test_convert_all_layers(kind: str, depth: int, mode: str, warm: bool) -> None:
    model = make_model(kind, depth)
    conversion = to_bidirectional(model, merge_mode=mode, warm_start=warm, seed=3)
    converted, report = conversion.model, conversion.report
    assert [row.weights for row in report.rows] == _expected_fates(
        depth, mode, warm, set(range(depth))
    )

    originals = {layer.name: layer for layer in model.layers}
    new = {layer.name: layer for layer in converted.layers}
    for row in report.rows:
        before, after = originals[row.before], new[row.after]
        assert row.params_after == after.count_params()
        if row.weights == WARM_STARTED:
            assert _weights_equal(after.forward_layer.get_weights(), before.get_weights())
            assert not _weights_equal(after.backward_layer.get_weights(), before.get_weights())
        elif row.weights == KEPT:
            assert _weights_equal(after.get_weights(), before.get_weights())
        elif row.weights == COLD:
            assert not _weights_equal(after.forward_layer.get_weights(), before.get_weights())
    # Recurrent params after conversion, checked against the analysis formula.
    width = D
    for index, row in enumerate(report.rows[:depth]):
        cell = Cell({"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}[row.type_before])
        assert row.type_after == f"Bidirectional({row.type_before})"
        assert row.params_after == 2 * recurrent_params(cell, UNITS[index], width)
        width = UNITS[index] * MergeMode(mode).width_factor
    assert report.fresh_layers == tuple(
        r.after for r in report.rows if r.weights in (COLD, WIDTH_CHANGED)
    )
    # A warm-started wrapper's backward half is new too: it is named, as a half, to retrain.
    assert report.backward_fresh_layers == tuple(
        r.after for r in report.rows if r.weights == WARM_STARTED
    )
    assert report.retrain_layers == tuple(
        r.after for r in report.rows if r.weights in (WARM_STARTED, COLD, WIDTH_CHANGED)
    )

    # The saved file reloads and predicts a batch of the right shape, with the same numbers.
    reloaded = load_model_bytes(model_to_bytes(converted), "converted.keras")
    prediction = reloaded.predict(BATCH, verbose=0)
    assert prediction.shape == (3, 2)
    np.testing.assert_allclose(
        prediction, converted.predict(BATCH, verbose=0), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_convert_chosen_layer_keeps_the_rest(kind: str) -> None:
    model = make_model(kind, 3)
    conversion = to_bidirectional(model, layers=["gru_2"], merge_mode="concat", seed=1)
    fates = [row.weights for row in conversion.report.rows]
    assert fates == _expected_fates(3, "concat", True, {1})
    assert [row.after for row in conversion.report.rows] == ["lstm_1", "bi_gru_2", "rnn_3", "head"]
    assert conversion.model.get_layer("rnn_3").count_params() == recurrent_params(Cell.RNN, 5, 6)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_merge_none_on_the_output_layer(kind: str) -> None:
    model = make_model(kind, 2, head=False, last_sequences=True)
    conversion = to_bidirectional(model, layers=["gru_2"], merge_mode="none")
    outputs = conversion.model.predict(BATCH, verbose=0)
    assert isinstance(outputs, (list, tuple)) and [o.shape for o in outputs] == [
        (3, T, 3),
        (3, T, 3),
    ]
    reloaded = load_model_bytes(model_to_bytes(conversion.model))
    assert [o.shape for o in reloaded.predict(BATCH, verbose=0)] == [(3, T, 3), (3, T, 3)]


@pytest.mark.parametrize(
    ("kind", "mode"), [("sequential", "sum"), ("functional", "ave"), ("functional", "mul")]
)
def test_unwrap_after_warm_start_gives_back_the_original(kind: str, mode: str) -> None:
    model = make_model(kind, 3)
    converted = to_bidirectional(model, merge_mode=mode, warm_start=True).model
    unwrapped = unwrap_bidirectional(converted)
    assert [row.weights for row in unwrapped.report.rows] == [UNWRAPPED] * 3 + [KEPT]
    restored = unwrapped.model
    assert [(layer.name, type(layer).__name__) for layer in restored.layers] == [
        (layer.name, type(layer).__name__) for layer in model.layers
    ]
    np.testing.assert_allclose(
        restored.predict(BATCH, verbose=0), model.predict(BATCH, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_unwrap_after_concat_restores_the_structure() -> None:
    model = make_model("functional", 2)
    converted = to_bidirectional(model, merge_mode="concat").model
    unwrapped = unwrap_bidirectional(converted)
    assert [row.weights for row in unwrapped.report.rows] == [
        UNWRAPPED,
        WIDTH_CHANGED,
        WIDTH_CHANGED,
    ]
    assert [layer.count_params() for layer in unwrapped.model.layers] == [
        layer.count_params() for layer in model.layers
    ]
    assert _weights_equal(
        unwrapped.model.get_layer("lstm_1").get_weights(), model.get_layer("lstm_1").get_weights()
    )


def test_conversion_is_seeded_and_leaves_the_original_alone() -> None:
    model = make_model("functional", 2)
    before = [w.copy() for w in model.get_weights()]
    first = to_bidirectional(model, seed=5).model.get_weights()
    second = to_bidirectional(model, seed=5).model.get_weights()
    other = to_bidirectional(model, seed=6).model.get_weights()
    assert _weights_equal(first, second)
    assert not _weights_equal(first, other)
    assert _weights_equal(model.get_weights(), before)


def test_conversion_errors_name_the_problem() -> None:
    model = make_model("functional", 2)
    with pytest.raises(ConversionError, match="received nope"):
        to_bidirectional(model, layers=["nope"])
    with pytest.raises(ConversionError, match="merge_mode must be one of"):
        to_bidirectional(model, merge_mode="max")
    with pytest.raises(ConversionError, match="merge_mode none"):
        to_bidirectional(model, layers=["lstm_1"], merge_mode="none")
    with pytest.raises(ConversionError, match="no LSTM, GRU or SimpleRNN"):
        to_bidirectional(dense_only_model())
    with pytest.raises(ConversionError, match="no Bidirectional layer"):
        unwrap_bidirectional(model)
    unbuilt = keras.Sequential([keras.layers.LSTM(2, name="lstm_1")], name="unbuilt")
    with pytest.raises(ConversionError, match="no defined input shape"):
        to_bidirectional(unbuilt)
    inputs = keras.Input((T, D), name="x")
    output, h, c = keras.layers.LSTM(2, return_state=True, name="stateful")(inputs)
    with pytest.raises(ConversionError, match="return_state"):
        to_bidirectional(keras.Model(inputs, [output, h, c]))


def test_a_widened_time_distributed_dense_is_rebuilt_and_reported_new() -> None:
    # The tagger: LSTM(100) → TimeDistributed(Dense(17)); under concat the Dense reads
    # 200 features, so it has 200·17 + 17 = 3,417 parameters, all new.
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(50, 12, name="embedding")(tokens)
    x = keras.layers.LSTM(100, return_sequences=True, name="lstm")(x)
    tags = keras.layers.TimeDistributed(keras.layers.Dense(17), name="time_distributed")(x)
    model = load_model_bytes(model_to_bytes(keras.Model(tokens, tags, name="tagger")))
    checked = convert_and_check(model)
    row = checked.conversion.report.rows[-1]
    assert (row.before, row.type_after) == ("time_distributed", "TimeDistributed(Dense)")
    assert (row.params_before, row.params_after, row.weights) == (1_717, 3_417, WIDTH_CHANGED)
    assert checked.conversion.report.fresh_layers == ("time_distributed",)
    assert checked.check.output_shapes == ((2, 7, 17),)


@pytest.mark.parametrize("mode", ["concat", "sum"])
def test_a_decoder_gives_both_directions_the_encoder_states(mode: str) -> None:
    model = gallery.encoder_decoder()
    checked = convert_and_check(model, layers=["decoder"], merge_mode=mode)
    wrapper = checked.reloaded.get_layer("bi_decoder")
    # Called with [h, c, h, c]: the forward states, then the backward states.
    config = checked.reloaded.get_config()
    entry = next(e for e in config["layers"] if e["name"] == "bi_decoder")
    states = entry["inbound_nodes"][0]["kwargs"]["initial_state"]
    assert [s["config"]["keras_history"][0] for s in states] == ["encoder"] * 4
    assert [s["config"]["keras_history"][2] for s in states] == [1, 2, 1, 2]
    assert wrapper.forward_layer.get_weights()[0].shape == (8, 32)
    assert max(checked.check.worst_by_layer().values()) <= 1e-6


def test_a_custom_loss_is_dropped_with_its_name() -> None:
    model = make_model("functional", 1)
    config = {"optimizer": "adam", "loss": "my_private_loss", "metrics": ["mae"]}
    conversion = to_bidirectional(model, compile_config=config)
    settings = conversion.report.compile
    assert (settings.fate, settings.failed_part, settings.failed_name) == (
        CompileFate.DROPPED,
        "loss",
        "my_private_loss",
    )
    assert not conversion.model.compiled
    assert "Compile settings dropped: the loss (my_private_loss)" in conversion.report.to_text()


def test_an_in_memory_compiled_model_keeps_its_settings() -> None:
    model = make_model("sequential", 1)
    model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    conversion = to_bidirectional(model)
    settings = conversion.report.compile
    assert (settings.fate, settings.optimizer, settings.loss, settings.metrics) == (
        CompileFate.KEPT,
        "SGD",
        ("mse",),
        ("mae",),
    )
    assert settings.learning_rate == pytest.approx(0.05)
    assert conversion.model.compiled


def test_a_model_failing_its_check_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_run(model: keras.Model, arrays: list[np.ndarray]) -> list[np.ndarray]:
        raise IndexError("list index out of range")

    monkeypatch.setattr(conversion_check, "run_model", broken_run)
    with pytest.raises(ConversionCheckFailed, match=r"fails on a batch .* \(IndexError\)"):
        convert_and_check(make_model("functional", 1))


def test_a_converted_model_over_the_limit_is_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conversion_check, "MAX_UPLOAD_BYTES", 1_000)
    with pytest.raises(ConversionCheckFailed, match=r"does not load back .* is too large"):
        convert_and_check(make_model("functional", 1))


def test_messages_are_one_clean_line() -> None:
    assert one_line("\x1b[1mDimensions\x1b[0m must\n be\tequal\x07") == "Dimensions must be equal"
    with pytest.raises(ConversionError) as caught:
        to_bidirectional(make_model("functional", 1), layers=["a\x1b[31mb\nc"])
    assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value)


def test_only_graph_models_are_rewired() -> None:
    class Custom(keras.Model):
        def __init__(self) -> None:
            super().__init__(name="custom")
            self.lstm = keras.layers.LSTM(2)

        def call(self, inputs: object) -> object:
            return self.lstm(inputs)

    with pytest.raises(ConversionError, match="subclassed model has no layer graph"):
        to_bidirectional(Custom())
    with pytest.raises(ConversionError, match="must be a Keras model, received str"):
        to_bidirectional("model.keras")  # type: ignore[arg-type]
